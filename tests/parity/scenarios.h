/*
 * Scenario functions, one group per file; the table in scenarios.c names
 * them. To add a scenario: write a void sc_x(void) in the right group,
 * declare it here, and add a row to the table.
 */
#ifndef PARITY_SCENARIOS_H
#define PARITY_SCENARIOS_H

/* sc_routes.c: every CA-loading entry point */
void sc_route_ctx_default_verify_paths(void);
void sc_route_ctx_load_verify_locations_file(void);
void sc_route_ctx_load_verify_locations_dir(void);
void sc_route_ctx_load_verify_locations_both(void);
void sc_route_ctx_load_verify_locations_null(void);
void sc_route_ctx_load_verify_file(void);
void sc_route_ctx_set_default_verify_file(void);
void sc_route_store_set_default_paths(void);
void sc_route_store_load_locations(void);
void sc_route_store_load_file(void);
void sc_route_lookup_ctrl_file_load(void);
void sc_route_lookup_filetype_default(void);
void sc_route_load_cert_crl_file(void);
void sc_route_load_cert_file_pem(void);
void sc_route_load_cert_file_der(void);
void sc_route_hash_dir_lookup(void);
void sc_route_ex_libctx(void);

/* sc_env.c: SSL_CERT_FILE / SSL_CERT_DIR */
void sc_env_file_and_dir_set(void);
void sc_env_unset(void);
void sc_env_file_missing(void);
void sc_env_file_changed(void);
void sc_env_dir_changed(void);

/* sc_bundles.c: bundle kinds and the error queue */
void sc_bundle_missing(void);
void sc_bundle_empty(void);
void sc_bundle_corrupt(void);
void sc_bundle_der_as_pem(void);
void sc_bundle_crl(void);
void sc_bundle_trusted_certificate(void);
void sc_preexisting_error(void);

/* sc_duplicates.c: overlapping loads */
void sc_dup_same_file_one_store(void);
void sc_dup_identical_bytes_two_paths(void);
void sc_dup_overlapping_bundles(void);
void sc_dup_trailing_sorts(void);

/* sc_rotation.c: bundles changing on disk */
void sc_rotate_ca_removed(void);
void sc_rotate_ca_added(void);
void sc_rotate_same_size_same_second(void);
void sc_rotate_atomic_rename(void);
void sc_rotate_symlink_retarget(void);
void sc_rotate_file_deleted(void);
void sc_rotate_touch(void);
void sc_rotate_default_file(void);

/* sc_isolation.c: contexts stay independent */
void sc_isolation_add_cert(void);
void sc_isolation_add_before_load(void);
void sc_isolation_store_flags(void);
void sc_isolation_add_crl(void);
void sc_isolation_free_order(void);

/* sc_process.c: threads and fork */
void sc_threads_same_bundle(void);
void sc_threads_mixed_bundles(void);
void sc_threads_mixed_routes(void);
void sc_fork_after_load(void);
void sc_threads_first_calls(void);

/* sc_share_isolation.c: contexts on one shared template stay independent */
void sc_share_store_before_load(void);
void sc_share_python_cadata(void);
void sc_share_crl_check_flag(void);
void sc_share_node_root_store(void);
void sc_share_every_template(void);
void sc_share_set_cert_store_then_load(void);
void sc_share_store_handed_over(void);
void sc_share_file_order(void);

/* sc_share_callbacks.c: stores reached from verify callbacks */
void sc_share_verify_cb_adds_cert(void);
void sc_share_verify_cb_store_reused(void);
void sc_share_verify_cb_early_late(void);
void sc_share_verify_cb_adds_crl(void);
void sc_share_verify_cb_threads(void);

/* sc_share_lookups.c: hash dirs, SSL_CERT_DIR, enumeration */
void sc_share_cert_dir_recipes(void);
void sc_share_set_default_verify_dir(void);
void sc_share_hashdir_enumerate(void);
void sc_share_hashdir_enumerate_shared(void);
void sc_share_enumerate_order(void);

/* sc_share_lifetime.c: references, rotation, eviction, library contexts */
void sc_share_up_ref_free_order(void);
void sc_share_rotation_outlives(void);
void sc_share_many_recipes(void);
void sc_share_libctx_recycled(void);

/* sc_share_threads.c: concurrency on shared templates */
void sc_share_mtls_two_clients(void);
void sc_share_handout_during_handshakes(void);
void sc_share_hashdir_lazy_threads(void);

#endif
