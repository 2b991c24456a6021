/*
 * The broker's shared state (broker.h): the questions handlers ask about
 * the node (is it the active controller, which
 * controller id do clients see, has it caught up with the metadata).
 */
#include "broker.h"

#include "controller.h"
#include "metadata_image.h"
#include "quorum.h"
#include "replica_manager.h"

int32_t broker_controller_id(const struct broker *n)
{
    /* KRaft brokers tell clients a live broker (which forwards, KIP-590), not a node that
     * may run only the controller: the quorum leader when it is a live broker, else this
     * broker, else any live broker. */
    int32_t leader = n->quorum ? quorum_leader_id(n->quorum) : -1;
    const struct mi_broker *b = leader >= 0 ? metadata_image_broker(n->image, leader) : NULL;
    if (b && !b->fenced)
        return leader;
    b = metadata_image_broker(n->image, n->node_id);
    if (b && !b->fenced)
        return n->node_id;
    size_t nb = metadata_image_broker_count(n->image);
    for (size_t i = 0; i < nb; i++) {
        b = metadata_image_broker_at(n->image, i);
        if (!b->fenced)
            return b->id;
    }
    return leader;
}

bool broker_is_controller(const struct broker *n)
{
    return n->controller && controller_is_active(n->controller);
}

bool broker_metadata_caught_up(const struct broker *n)
{
    return n->rm && replica_manager_is_active(n->rm);
}
