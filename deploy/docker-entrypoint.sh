#!/bin/bash
# Entry point of the sluice image.
#
#   (no arguments) or server [ARGS]  format the data directory when it is not
#                                    formatted yet, then run the node
#                                    (sluice server -c /etc/sluice/server.properties ARGS)
#   a sluice subcommand [ARGS]       run it (topic, produce, consume, cluster, ...)
#   anything else                    run that command (e.g. bash)
#
# The node's configuration is /etc/sluice/server.properties plus SLUICE_*
# environment variables (SLUICE_NODE_ID -> node.id).  SLUICE_CLUSTER_ID is the
# cluster id the data directory is formatted with: give every node of a
# cluster the same one (`sluice random-uuid` makes one).  Without it a
# single node formats itself with a new random id.  A directory formatted
# for another cluster id is refused.
set -euo pipefail

config=/etc/sluice/server.properties

if [ "$#" -eq 0 ]; then
    set -- server
fi

case "$1" in
server)
    shift
    cluster_id="${SLUICE_CLUSTER_ID:-}"
    # Not a node setting: keep it from being read as the key "cluster.id".
    unset SLUICE_CLUSTER_ID
    sluice format -c "$config" ${cluster_id:+--cluster-id "$cluster_id"} --ignore-formatted
    exec sluice server -c "$config" "$@"
    ;;
format | random-uuid | version | topic | produce | consume | group | cluster | -h | --help)
    unset SLUICE_CLUSTER_ID
    exec sluice "$@"
    ;;
*)
    exec "$@"
    ;;
esac
