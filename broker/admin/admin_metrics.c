/*
 * GET /metrics: Prometheus text exposition (version 0.0.4), one prefix
 * `sluice_` (shared/research/ecosystem.md section 5.1).  Counters and latency
 * histograms come from the node's registry (metrics.h); gauges are read when
 * rendering: from this node's partitions (Kafka's ReplicaManager gauges:
 * PartitionCount, LeaderCount, UnderReplicatedPartitions,
 * UnderMinIsrPartitionCount), from its metadata image (the controller's
 * OfflinePartitionsCount, ActiveBrokerCount, FencedBrokerCount, global
 * topic and partition counts, as this node's image sees them), from the
 * metadata quorum (raft-metrics current-epoch, current-leader,
 * high-watermark, log-end-offset) and from the node itself (purgatories,
 * connections).
 */
#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>

#include "admin_internal.h"
#include "conn.h"
#include "kafka.h"
#include "metadata_image.h"
#include "metrics.h"
#include "broker.h"
#include "partition.h"
#include "purgatory.h"
#include "quorum.h"
#include "replica_manager.h"

static void gauge(struct evbuffer *out, const char *name, const char *help, int64_t v)
{
    evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name,
                        (long long)v);
}

static bool topic_exists(void *ctx, const char *topic)
{
    const struct broker *n = ctx;
    return metadata_image_topic_by_name(n->image, topic) != NULL;
}

/* Partitions hosted here: counts, and the per-partition under-replication gauge. */
static void render_partitions(struct broker *n, struct evbuffer *out)
{
    const struct metadata_image *img = n->image;
    int64_t hosted = 0, leaders = 0, under = 0, under_min_isr = 0, offline_here = 0;
    size_t nt = metadata_image_topic_count(img);
    struct evbuffer *per = evbuffer_new();
    for (size_t i = 0; i < nt; i++) {
        const struct mi_topic *t = metadata_image_topic_at(img, i);
        for (int32_t p = 0; p < t->npartitions; p++) {
            struct partition *part = NULL;
            int16_t err = n->rm ? replica_manager_lookup(n->rm, t->name, p, &part)
                                : KERR_NOT_LEADER_OR_FOLLOWER;
            if (err == KERR_KAFKA_STORAGE_ERROR) {
                hosted++;
                offline_here++;
                continue;
            }
            if (err != KERR_NONE)
                continue;
            hosted++;
            if (!part->repl.is_leader)
                continue;
            leaders++;
            if (part->repl.nisr < part->repl.nreplicas) {
                under++;
                evbuffer_add_printf(per, "sluice_under_replicated_replicas{topic=\"");
                broker_metrics_escape_label(per, t->name);
                evbuffer_add_printf(per, "\",partition=\"%d\"} %d\n", p,
                                    part->repl.nreplicas - part->repl.nisr);
            }
            if (part->repl.nisr < part->cfg.min_insync_replicas)
                under_min_isr++;
        }
    }
    gauge(out, "sluice_partitions", "Partition replicas hosted by this node (PartitionCount).",
          hosted);
    gauge(out, "sluice_offline_replicas",
          "Replicas hosted here that are offline after a storage error (KAFKA_STORAGE_ERROR).",
          offline_here);
    gauge(out, "sluice_offline_log_dirs",
          "Log dirs of this node that failed with an I/O error (OfflineLogDirectoryCount).",
          replica_manager_log_dir_offline(n->rm) ? 1 : 0);
    gauge(out, "sluice_leader_partitions", "Partitions led by this node (LeaderCount).", leaders);
    gauge(out, "sluice_under_replicated_partitions",
          "Partitions led by this node whose ISR is smaller than their replica set.", under);
    gauge(out, "sluice_under_min_isr_partitions",
          "Partitions led by this node whose ISR is below min.insync.replicas.", under_min_isr);
    evbuffer_add_printf(out,
                        "# HELP sluice_under_replicated_replicas Replicas missing from the ISR, "
                        "per under-replicated partition led by this node.\n"
                        "# TYPE sluice_under_replicated_replicas gauge\n");
    evbuffer_add_buffer(out, per);
    evbuffer_free(per);
}

/* The image's view of the cluster (what the controller metrics report in Kafka). */
static void render_cluster(struct broker *n, struct evbuffer *out)
{
    const struct metadata_image *img = n->image;
    int64_t offline = 0, partitions = 0, fenced = 0, active = 0;
    size_t nt = metadata_image_topic_count(img);
    for (size_t i = 0; i < nt; i++) {
        const struct mi_topic *t = metadata_image_topic_at(img, i);
        partitions += t->npartitions;
        for (int32_t p = 0; p < t->npartitions; p++)
            if (t->partitions[p].leader < 0)
                offline++;
    }
    size_t nb = metadata_image_broker_count(img);
    for (size_t i = 0; i < nb; i++) {
        if (metadata_image_broker_at(img, i)->fenced)
            fenced++;
        else
            active++;
    }
    gauge(out, "sluice_offline_partitions",
          "Partitions without a leader in this node's metadata image (OfflinePartitionsCount).",
          offline);
    gauge(out, "sluice_active_brokers", "Registered, unfenced brokers (ActiveBrokerCount).",
          active);
    gauge(out, "sluice_fenced_brokers", "Registered, fenced brokers (FencedBrokerCount).", fenced);
    gauge(out, "sluice_global_topics", "Topics in the metadata image (GlobalTopicCount).",
          (int64_t)nt);
    gauge(out, "sluice_global_partitions",
          "Partitions in the metadata image (GlobalPartitionCount).", partitions);
    gauge(out, "sluice_metadata_last_applied_offset",
          "Offset of the last metadata record applied to this node's image.",
          metadata_image_offset(img));
    gauge(out, "sluice_stray_logs",
          "Partition directories set aside as stray (not assigned here by the metadata).",
          n->rm ? (int64_t)replica_manager_stray_logs(n->rm, NULL) : 0);
}

static void render_quorum(struct broker *n, struct evbuffer *out)
{
    gauge(out, "sluice_active_controller",
          "1 when this node is the active controller, else 0 (ActiveControllerCount).",
          broker_is_controller(n) ? 1 : 0);
    if (!n->quorum)
        return;
    gauge(out, "sluice_raft_current_leader", "The metadata quorum leader's id, -1 when unknown.",
          quorum_leader_id(n->quorum));
    gauge(out, "sluice_raft_epoch", "The metadata quorum's current epoch.",
          quorum_epoch(n->quorum));
    gauge(out, "sluice_raft_high_watermark", "The metadata log's high watermark (committed + 1).",
          quorum_high_watermark(n->quorum));
    gauge(out, "sluice_raft_log_end_offset", "The metadata log's end offset on this node.",
          quorum_log_end_offset(n->quorum));
}

/*
 * Parked requests by kind, every kind always present: "other" is the held
 * forwards (InitProducerId waiters were never counted here).
 */
static void render_purgatory(struct broker *n, struct evbuffer *out)
{
    int64_t produce = (int64_t)purgatory_size(n->purgatory, PURGATORY_PRODUCE);
    int64_t fetch = (int64_t)purgatory_size(n->purgatory, PURGATORY_FETCH);
    int64_t other = (int64_t)purgatory_size(n->purgatory, PURGATORY_FORWARD);
    evbuffer_add_printf(out,
                        "# HELP sluice_purgatory_size Requests parked in a purgatory (delayed "
                        "produce waiting for acks/fsync, long-polling fetch).\n"
                        "# TYPE sluice_purgatory_size gauge\n"
                        "sluice_purgatory_size{kind=\"produce\"} %lld\n"
                        "sluice_purgatory_size{kind=\"fetch\"} %lld\n"
                        "sluice_purgatory_size{kind=\"other\"} %lld\n",
                        (long long)produce, (long long)fetch, (long long)other);
}

void admin_metrics_get(struct admin_request *r)
{
    struct broker *n = r->node;
    struct evbuffer *out = evbuffer_new();
    evbuffer_add_printf(out,
                        "# HELP sluice_node_info This node's id and cluster.\n"
                        "# TYPE sluice_node_info gauge\nsluice_node_info{node_id=\"%d\","
                        "cluster_id=\"",
                        n->node_id);
    broker_metrics_escape_label(out, n->cluster_id);
    evbuffer_add_printf(out, "\"} 1\n");
    render_quorum(n, out);
    render_cluster(n, out);
    render_partitions(n, out);
    render_purgatory(n, out);
    /* Kafka's ReplicaFetcherManager MaxLag: 0 when this node follows nothing. */
    gauge(out, "sluice_replica_fetcher_max_lag",
          "Largest lag in messages of this node's replica fetchers (0 when none run).",
          replica_manager_fetcher_max_lag(n->rm));
    gauge(out, "sluice_connections", "Open Kafka client connections.", conn_count(n));
    gauge(out, "sluice_request_queue_bytes",
          "Bytes of requests being received, against queued.max.request.bytes.",
          n->conn_request_bytes);
    gauge(out, "sluice_request_queue_requests",
          "Requests read and not yet answered, against queued.max.requests.", n->conn_requests);
    gauge(out, "sluice_admin_connections", "Open admin HTTP connections.",
          admin_server_connection_count(n));
    if (n->metrics) {
        broker_metrics_prune_topics(n->metrics, topic_exists, n);
        broker_metrics_render(n->metrics, out);
    }
    admin_reply_buffer(r, 200, "text/plain; version=0.0.4; charset=utf-8", out);
    evbuffer_free(out);
}
