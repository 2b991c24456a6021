/*
 * The ADMIN listener (DESIGN.md section 1; default port 9644): an HTTP/1.1
 * server on the node's event loop serving the REST API under /v1 (cluster,
 * brokers, topics, partitions, the metadata quorum; topic writes through the
 * controller), Prometheus metrics at /metrics and a live cluster page at /.
 * Field names follow Redpanda's admin API and Kafka's DescribeQuorum
 * (shared/research/ecosystem.md section 2.4).
 *
 * Every node answers reads from its own metadata image and its own
 * partitions; writes go to the active controller, forwarded to it by the
 * other nodes (503 only when no controller is known).  Writes are guarded
 * against cross-site requests (Host, Origin, JSON Content-Type; see
 * admin_guard.c) and every request must arrive within
 * admin.request.timeout.ms, so slow clients cannot hold the connection limit.
 */
#ifndef SLUICE_BROKER_ADMIN_H
#define SLUICE_BROKER_ADMIN_H

struct broker;

/*
 * Starts the admin server on n->cfg->admin_host:admin_port (does nothing and
 * returns 0 when admin_host is NULL: the listener is disabled) and creates the
 * node's metrics registry (n->metrics).  Sets n->admin.  Call once the node's
 * event base, image, controller and quorum exist; the server answers
 * /v1/status/ready with 503 until the client listeners are open.  Returns 0,
 * or SL_EIO (logged) when the address cannot be resolved or bound.
 */
int admin_server_start(struct broker *n);

/*
 * Stops accepting, closes every admin connection and frees the server and
 * the metrics registry (n->admin and n->metrics become NULL; metrics hooks are
 * no-ops afterwards).  Requests still waiting for the controller are detached:
 * their completion later only frees memory.  Call before the event base is
 * freed.  Safe when the server was never started.
 */
void admin_server_stop(struct broker *n);

#endif
