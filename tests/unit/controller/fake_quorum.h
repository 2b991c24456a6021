/*
 * An in-memory quorum for controller tests: appends build real v2 batches
 * (stamped with the epoch) and are held until the test commits them, so
 * tests decide exactly when records become committed.
 */
#ifndef SLUICE_TEST_FAKE_QUORUM_H
#define SLUICE_TEST_FAKE_QUORUM_H

#include <stdbool.h>
#include <stdint.h>

#include "quorum.h"

struct fake_quorum;

/* A follower quorum with an empty log; the listener is copied. */
struct fake_quorum *fake_quorum_new(int32_t node_id, const struct quorum_listener *l);
struct quorum *fake_quorum_base(struct fake_quorum *fq);
/* Becomes leader of a new epoch and announces it (on_leader_change). */
void fake_quorum_elect(struct fake_quorum *fq);
/* Loses leadership to `leader` (-1 unknown) in a new epoch and announces it. */
void fake_quorum_resign(struct fake_quorum *fq, int32_t leader);
/* Commits every pending batch through on_commit (including ones appended meanwhile). */
int fake_quorum_commit_all(struct fake_quorum *fq);
/* Pending (appended, uncommitted) batches and total appends so far. */
int fake_quorum_pending(const struct fake_quorum *fq);
int fake_quorum_appends(const struct fake_quorum *fq);
/* Makes the next append fail with `err` (a negative SL_E* code). */
void fake_quorum_fail_next(struct fake_quorum *fq, int err);

struct controller;
struct controller_config;
struct metadata_image;

/*
 * The fixture most controller tests start from: a fresh image, a controller
 * with `cfg` on a fake quorum of node 1 that has elected it and committed its
 * first records (the controller is active).  fake_controller_stop frees all three.
 */
void fake_controller_start(const struct controller_config *cfg, struct metadata_image **img,
                           struct controller **c, struct fake_quorum **fq);
void fake_controller_stop(struct metadata_image *img, struct controller *c, struct fake_quorum *fq);

#endif
