/*
 * What the subcommands share (cmd.h): option parsing (each describes its
 * options as a table of struct cmd_opt, and cmd_opts_parse runs getopt_long
 * over it, storing values, checking numbers and answering --help), loading
 * the node configuration, and opening the Kafka client.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include "broker_config.h"
#include "cmd.h"
#include "invariant.h"
#include "kclient.h"
#include "xalloc.h"

/* The longest option table of a subcommand, --help excluded. */
#define CMD_MAX_OPTS 16

int cmd_parse_int(const char *cmd, const char *what, const char *s, int64_t min, int64_t max,
                  int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max) {
        fprintf(stderr, "sluice %s: invalid %s '%s' (expected an integer from %lld to %lld)\n", cmd,
                what, s, (long long)min, (long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

void cmd_strv_push(struct cmd_strv *v, char *s)
{
    v->v = xrealloc(v->v, (size_t)(v->n + 1) * sizeof *v->v);
    v->v[v->n++] = s;
}

static int store(const struct cmd_parser *p, const struct cmd_opt *o, char *arg)
{
    switch (o->kind) {
    case CMD_OPT_FLAG:
        *(bool *)o->dst = true;
        return CMD_CONTINUE;
    case CMD_OPT_STR:
        *(const char **)o->dst = arg;
        return CMD_CONTINUE;
    case CMD_OPT_INT:
        return cmd_parse_int(p->cmd, o->what, arg, o->min, o->max, o->dst) < 0 ? CMD_USAGE
                                                                               : CMD_CONTINUE;
    case CMD_OPT_STRV:
        cmd_strv_push(o->dst, arg);
        return CMD_CONTINUE;
    case CMD_OPT_CALL:
    case CMD_OPT_CALL_FLAG:
        return o->call(o->dst, o->letter, arg);
    }
    return CMD_USAGE;
}

int cmd_opts_parse(const struct cmd_parser *p, int argc, char **argv)
{
    struct option longs[CMD_MAX_OPTS + 2];
    size_t n = 0;
    for (; p->opts[n].name; n++) {
        SL_ASSERT(n < CMD_MAX_OPTS);
        bool flag = p->opts[n].kind == CMD_OPT_FLAG || p->opts[n].kind == CMD_OPT_CALL_FLAG;
        longs[n] = (struct option){p->opts[n].name, flag ? no_argument : required_argument, NULL,
                                   p->opts[n].letter};
    }
    longs[n++] = (struct option){"help", no_argument, NULL, 'h'};
    longs[n] = (struct option){NULL, 0, NULL, 0};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, p->shorts, longs, NULL)) != -1) {
        const struct cmd_opt *o = p->opts;
        while (o->name && o->letter != c)
            o++;
        if (c == 'h' || !o->name) {
            p->usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? CMD_OK : CMD_USAGE;
        }
        int rc = store(p, o, optarg);
        if (rc == CMD_USAGE && p->usage_on_bad_value)
            p->usage(stderr);
        if (rc != CMD_CONTINUE)
            return rc;
    }
    if (p->no_operands && optind < argc) {
        fprintf(stderr, "sluice %s: unexpected argument '%s'\n", p->cmd, argv[optind]);
        return CMD_USAGE;
    }
    if (p->one_operand && optind != argc - 1) {
        fprintf(stderr, "sluice %s: expected exactly one %s\n", p->cmd, p->one_operand);
        p->usage(stderr);
        return CMD_USAGE;
    }
    return CMD_CONTINUE;
}

int cmd_node_config_load(const struct cmd_parser *p, int argc, char **argv,
                         struct cmd_node_config *nc, struct broker_config *cfg)
{
    int rc = cmd_opts_parse(p, argc, argv);
    if (rc == CMD_CONTINUE) {
        char err[1024];
        if (broker_config_load(cfg, nc->file, nc->overrides.v, nc->overrides.n, err, sizeof err) <
            0) {
            fprintf(stderr, "sluice %s: %s\n", p->cmd, err);
            rc = CMD_FAIL;
        }
    }
    free(nc->overrides.v);
    return rc;
}

int cmd_kclient_init(const char *cmd, const char *bootstrap, struct kclient *c)
{
    char id[64];
    snprintf(id, sizeof id, "sluice-%s", cmd);
    if (kclient_init(c, bootstrap, id) >= 0)
        return CMD_CONTINUE;
    fprintf(stderr, "sluice %s: %s\n", cmd, kclient_error(c));
    kclient_free(c);
    return CMD_USAGE;
}
