/*
 * Java-properties style configuration: parsing files and strings into an
 * ordered key/value list, overlaying environment variables and command-line
 * overrides, and remembering where every value came from (for start-up error
 * messages and for DescribeConfigs' config source).
 *
 * Syntax accepted (a strict subset of java.util.Properties):
 *   - `key=value` or `key: value`; whitespace around the separator is ignored;
 *   - lines whose first non-blank character is '#' or '!' are comments, blank
 *     lines are skipped;
 *   - trailing whitespace of a value is trimmed;
 *   - a line ending in an odd number of backslashes continues on the next
 *     line, whose leading whitespace is dropped;
 *   - escapes `\\ \t \n \r \f` and `\<c>` for any other character c (so
 *     `\=` and `\:` can appear in keys); `\uXXXX` is not supported;
 *   - a line with no '=' or ':' is an error (Java would take it as a key with
 *     an empty value; a config file line like that is almost always a typo).
 * A key given twice keeps its first position and takes the later value.
 */
#ifndef SLUICE_PROPERTIES_H
#define SLUICE_PROPERTIES_H

#include <stdbool.h>
#include <stddef.h>

/* Where a value came from, lowest to highest precedence. */
enum prop_source {
    PROP_SRC_DEFAULT = 0,  /* built-in default */
    PROP_SRC_FILE = 1,     /* the properties file */
    PROP_SRC_ENV = 2,      /* a SLUICE_* environment variable */
    PROP_SRC_OVERRIDE = 3, /* --override k=v on the command line */
};

struct prop_entry {
    char *key;
    char *value;
    enum prop_source source;
    /* Human-readable origin: "server.properties:12", "env SLUICE_NODE_ID", "--override". */
    char *origin;
};

/* An ordered list of entries; zero-initialize or use PROPS_INIT. */
struct props {
    struct prop_entry *v;
    size_t n, cap;
};

#define PROPS_INIT                                                                                 \
    {                                                                                              \
        0                                                                                          \
    }

/* Frees every entry; the list is empty (and reusable) afterwards. */
void props_free(struct props *p);

/*
 * Sets key to value (both copied), replacing any earlier value in place and
 * recording source and origin (copied; NULL means no origin).
 */
void props_set(struct props *p, const char *key, const char *value, enum prop_source source,
               const char *origin);

/* The entry for key, or NULL.  The pointer is valid until the list changes. */
const struct prop_entry *props_get(const struct props *p, const char *key);

/* A short lower-case name of a source: "default", "file", "env", "override". */
const char *props_source_name(enum prop_source source);

/*
 * Parses properties text (len bytes, need not be NUL-terminated) into p with
 * source PROP_SRC_FILE and origins "<name>:<line>".  On a malformed line
 * returns SL_EINVAL and writes "<name>:<line>: <what is wrong>" into err;
 * entries parsed before the bad line stay in p.  Returns 0 on success.
 */
int props_parse_string(struct props *p, const char *text, size_t len, const char *name, char *err,
                       size_t errlen);

/*
 * Reads and parses the file at path (see props_parse_string; name = path).
 * Returns 0, SL_EIO (err says why the file could not be read), SL_ETOOLARGE
 * (files over 16 MiB) or SL_EINVAL.
 */
int props_parse_file(struct props *p, const char *path, char *err, size_t errlen);

/*
 * Converts an environment variable name to a property key, or returns NULL
 * when name does not start with prefix (e.g. "SLUICE_") or nothing follows
 * it.  The rest is lower-cased, then "___" becomes '-', "__" becomes '_'
 * and a single '_' becomes '.', the rule Apache Kafka's docker images use
 * for KAFKA_* variables: SLUICE_NODE_ID -> node.id,
 * SLUICE_LISTENER_SECURITY_PROTOCOL_MAP -> listener.security.protocol.map,
 * SLUICE_FOO__BAR -> foo_bar.  The caller frees the result.
 */
char *props_env_to_key(const char *name, const char *prefix);

/*
 * Overlays every variable of envp (a NULL-terminated "NAME=value" array, such
 * as environ) whose name starts with prefix, with source PROP_SRC_ENV and
 * origin "env NAME".  Names listed in the NULL-terminated `exclude` array
 * (may be NULL) are skipped: variables that share the prefix but configure
 * something else (SLUICE_BOOTSTRAP for the client tools).
 */
void props_overlay_env(struct props *p, char *const *envp, const char *prefix,
                       const char *const *exclude);

/*
 * Overlays "key=value" strings (n of them) with source PROP_SRC_OVERRIDE and
 * origin "--override".  Whitespace around key and value is trimmed.  Returns
 * SL_EINVAL with a message in err for an item without '=' or with an empty
 * key (items before it are applied); 0 otherwise.
 */
int props_overlay_overrides(struct props *p, char *const *kv, int n, char *err, size_t errlen);

#endif
