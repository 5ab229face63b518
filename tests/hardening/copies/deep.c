/*
 * The libpq shape: this module never calls OpenSSL itself; it calls a middle
 * library (module.c built with TCMOD_ENTRY=tcmid_run) that links libssl.  So
 * the caller the shim sees is one dependency level below the dlopen()ed
 * object.
 */
int tcmid_run(const char *label, const char *fixtures);
int tcmod_run(const char *label, const char *fixtures);

int tcmod_run(const char *label, const char *fixtures) { return tcmid_run(label, fixtures); }
