/*
 * AlterConfigs (33) and IncrementalAlterConfigs (44, KIP-339) of topic
 * configs on the active controller, following Kafka's
 * ConfigurationControlManager: each resource is validated on its own against
 * the committed image (a resource with an error changes nothing), the new
 * override of every touched key is computed (SET, DELETE, APPEND and
 * SUBTRACT on LIST configs; or, for AlterConfigs, the listed set replacing
 * all overrides), and every key whose override changes becomes a
 * ConfigRecord (null value = delete).  Records of all valid resources form
 * the request's single atomic batch.  Dynamic broker configs are not
 * supported: broker resources are refused rather than faked.
 */
#include <stdio.h>
#include <string.h>

#include "controller_internal.h"
#include "kafka.h"
#include "metadata_records.h"
#include "topic_config.h"

/* One key's outcome: its override before and after (NULL: none). */
struct change {
    const char *name;
    const char *old_value;
    const char *new_value;
};

static void fail(struct ctl_alter_configs_result *res, int16_t err, const char *msg)
{
    res->error_code = err;
    res->error_message = msg;
}

/* A list item of `list` (comma separated, blanks around items ignored): [*b, *e). */
static bool next_item(const char **p, const char **b, const char **e)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    if (!*s)
        return false;
    const char *end = strchr(s, ',');
    if (!end)
        end = s + strlen(s);
    const char *t = end;
    while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
        t--;
    *b = s;
    *e = t;
    *p = end;
    return true;
}

static bool list_has(const char *list, const char *b, const char *e)
{
    const char *p = list, *ib, *ie;
    while (next_item(&p, &ib, &ie))
        if ((size_t)(ie - ib) == (size_t)(e - b) && memcmp(ib, b, (size_t)(e - b)) == 0)
            return true;
    return false;
}

/* Appends the item [b, e) to the comma-separated list out[0, *len). */
static void list_add(char *out, size_t *len, const char *b, const char *e)
{
    if (*len)
        out[(*len)++] = ',';
    memcpy(out + *len, b, (size_t)(e - b));
    *len += (size_t)(e - b);
    out[*len] = '\0';
}

/*
 * APPEND (add the items of `arg` not in `base`, in order) or SUBTRACT
 * (remove from `base` the items in `arg`), KIP-339.  Arena result.
 */
static const char *list_apply(struct arena *a, const char *base, const char *arg, bool append)
{
    size_t cap = strlen(base) + strlen(arg) + 2;
    char *out = arena_alloc(a, cap);
    size_t len = 0;
    const char *p = base, *b, *e;
    out[0] = '\0';
    while (next_item(&p, &b, &e))
        if (append || !list_has(arg, b, e))
            list_add(out, &len, b, e);
    for (p = arg; append && next_item(&p, &b, &e);)
        if (!list_has(out, b, e))
            list_add(out, &len, b, e);
    return out;
}

static bool same(const char *x, const char *y)
{
    return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

/* INVALID_CONFIG with topic_config_validate's explanation for (name, value). */
static bool invalid_value(struct arena *a, struct ctl_alter_configs_result *res, const char *name,
                          const char *value)
{
    char why[400];
    if (topic_config_validate(name, value, why, sizeof(why)) == 0)
        return false;
    fail(res, KERR_INVALID_CONFIG, arena_strdup(a, why));
    return true;
}

/* INVALID_CONFIG for a key that is not a topic config; always false. */
static bool unknown_key(struct arena *a, struct ctl_alter_configs_result *res, const char *name)
{
    if (!invalid_value(a, res, name, ""))
        fail(res, KERR_INVALID_CONFIG, ctl_msgf(a, "Unknown topic config name: %s", name));
    return false;
}

/* The changes of one incremental resource, or false with res set. */
static bool incremental_changes(struct controller *c, struct arena *a,
                                const struct ctl_alter_configs_resource *rs,
                                struct ctl_alter_configs_result *res, struct change *ch)
{
    for (int32_t k = 0; k < rs->nconfigs; k++) {
        const struct ctl_alter_config *e = &rs->configs[k];
        const struct topic_config_def *d = topic_config_find(e->name);
        ch[k].name = e->name;
        ch[k].old_value =
            metadata_image_config(c->img, MR_RESOURCE_TOPIC, rs->resource_name, e->name);
        switch (e->op) {
        case CTL_CONFIG_SET:
            if (invalid_value(a, res, e->name, e->value))
                return false;
            ch[k].new_value = e->value;
            break;
        case CTL_CONFIG_DELETE:
            if (!d)
                return unknown_key(a, res, e->name);
            ch[k].new_value = NULL;
            break;
        case CTL_CONFIG_APPEND:
        case CTL_CONFIG_SUBTRACT: {
            bool append = e->op == CTL_CONFIG_APPEND;
            if (!d)
                return unknown_key(a, res, e->name);
            if (d->type != TC_TYPE_LIST) {
                fail(res, KERR_INVALID_CONFIG,
                     ctl_msgf(a, "Config value %s is not allowed for config key: %s",
                              append ? "append" : "subtract", e->name));
                return false;
            }
            /* The base is the override, else the config's default (getParts). */
            const char *base = ch[k].old_value ? ch[k].old_value : d->default_value;
            ch[k].new_value = list_apply(a, base, e->value ? e->value : "", append);
            if (invalid_value(a, res, e->name, ch[k].new_value))
                return false;
            break;
        }
        default:
            fail(res, KERR_INVALID_REQUEST,
                 ctl_msgf(a, "Unknown config operation %d for key %s", e->op, e->name));
            return false;
        }
    }
    return true;
}

/*
 * The changes of one AlterConfigs resource: the listed keys, then a delete
 * for every override not listed.  *n receives the number of changes.
 */
static struct change *replace_changes(struct controller *c, struct arena *a,
                                      const struct ctl_alter_configs_resource *rs,
                                      struct ctl_alter_configs_result *res, int32_t *n)
{
    int32_t extra = 0;
    size_t it = 0;
    const char *key, *value;
    while (
        metadata_image_config_next(c->img, MR_RESOURCE_TOPIC, rs->resource_name, &it, &key, &value))
        extra++;
    struct change *ch = arena_alloc(a, (size_t)(rs->nconfigs + extra + 1) * sizeof(*ch));
    for (int32_t k = 0; k < rs->nconfigs; k++) {
        const struct ctl_alter_config *e = &rs->configs[k];
        if (invalid_value(a, res, e->name, e->value))
            return NULL;
        ch[k].name = e->name;
        ch[k].old_value =
            metadata_image_config(c->img, MR_RESOURCE_TOPIC, rs->resource_name, e->name);
        ch[k].new_value = e->value;
    }
    int32_t m = rs->nconfigs;
    it = 0;
    while (metadata_image_config_next(c->img, MR_RESOURCE_TOPIC, rs->resource_name, &it, &key,
                                      &value)) {
        bool listed = false;
        for (int32_t k = 0; k < rs->nconfigs && !listed; k++)
            listed = strcmp(rs->configs[k].name, key) == 0;
        if (listed)
            continue;
        ch[m].name = arena_strdup(a, key);
        ch[m].old_value = arena_strdup(a, value);
        ch[m].new_value = NULL;
        m++;
    }
    *n = m;
    return ch;
}

/* Validates one resource; on success its ConfigRecords are added to r (unless validate_only). */
static void process_resource(struct controller *c, struct op *op, int32_t i, struct recs *r)
{
    struct arena *a = &op->a;
    const struct ctl_alter_configs_resource *rs = &op->u.ac.resources[i];
    struct ctl_alter_configs_result *res = &op->u.ac.res[i];
    res->error_code = KERR_NONE;
    res->error_message = NULL;
    if (rs->resource_type == MR_RESOURCE_BROKER) {
        fail(res, KERR_INVALID_REQUEST, "dynamic broker configs are not supported");
        return;
    }
    if (rs->resource_type != MR_RESOURCE_TOPIC) {
        fail(res, KERR_INVALID_REQUEST,
             ctl_msgf(a, "Unsupported resource type %d", rs->resource_type));
        return;
    }
    for (int32_t j = 0; j < op->u.ac.n; j++) {
        const struct ctl_alter_configs_resource *o = &op->u.ac.resources[j];
        if (j != i && o->resource_type == rs->resource_type &&
            strcmp(o->resource_name, rs->resource_name) == 0) {
            fail(res, KERR_INVALID_REQUEST,
                 ctl_msgf(a, "Resource topic '%s' appears more than once", rs->resource_name));
            return;
        }
    }
    if (!metadata_image_topic_by_name(c->img, rs->resource_name)) {
        fail(res, KERR_UNKNOWN_TOPIC_OR_PARTITION,
             ctl_msgf(a, "The topic '%s' does not exist.", rs->resource_name));
        return;
    }
    for (int32_t k = 0; k < rs->nconfigs; k++)
        for (int32_t j = 0; j < k; j++)
            if (strcmp(rs->configs[j].name, rs->configs[k].name) == 0) {
                fail(res, KERR_INVALID_REQUEST,
                     ctl_msgf(a, "Error due to duplicate config keys: %s", rs->configs[k].name));
                return;
            }
    int32_t n = rs->nconfigs;
    struct change *ch;
    if (op->u.ac.incremental) {
        ch = arena_alloc(a, (size_t)(n + 1) * sizeof(*ch));
        if (!incremental_changes(c, a, rs, res, ch))
            return;
    } else {
        ch = replace_changes(c, a, rs, res, &n);
        if (!ch)
            return;
    }
    int32_t need = 0;
    for (int32_t k = 0; k < n; k++)
        if (!same(ch[k].old_value, ch[k].new_value))
            need++;
    if (r->n + need > MAX_RECORDS_PER_OP) {
        fail(res, KERR_POLICY_VIOLATION, "Unable to perform excessively large batch operation.");
        return;
    }
    if (op->u.ac.validate_only)
        return;
    for (int32_t k = 0; k < n; k++) {
        if (same(ch[k].old_value, ch[k].new_value))
            continue;
        struct mr_config cr = {.resource_type = MR_RESOURCE_TOPIC,
                               .resource_name = ctl_kstr(rs->resource_name),
                               .name = ctl_kstr(ch[k].name),
                               .value = ctl_kstr(ch[k].new_value)};
        ctl_recs_add(r, MR_CONFIG, &cr);
    }
}

void ctl_process_alter_configs(struct controller *c, struct op *op, struct recs *r)
{
    for (int32_t i = 0; i < op->u.ac.n; i++)
        process_resource(c, op, i, r);
}
