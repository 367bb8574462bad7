#ifndef ROTATOR_CLIBPQ_SHIM_H
#define ROTATOR_CLIBPQ_SHIM_H
// pkg-config puts libpq's include folder on the path; no absolute paths here.
#include <libpq-fe.h>
#endif
