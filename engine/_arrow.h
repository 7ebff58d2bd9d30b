/* engine/_arrow.c: the engine's NDJSON read straight into Arrow buffers (engine/columnar.py). */

#ifndef NORMALIZE_ARROW_H
#define NORMALIZE_ARROW_H

#include <Python.h>

extern const char arrow_columns_doc[];

/* _fastpath.arrow_columns(data, tables): see arrow_columns_doc. */
PyObject *arrow_columns(PyObject *module, PyObject *args);

#endif
