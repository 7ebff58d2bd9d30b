"""The one thing pyproject.toml does not say yet in a stable form: the C accelerator.

``engine._fastpath`` runs the plans of fastmatch, regex and CSV schemas (see engine/plan.py). It is
optional: on a machine without a C compiler the build skips it, and every line runs on the
pure-Python path, which gives the same output, several times more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "engine._fastpath",
            # _pcre2.c: regex patterns, PCRE2 by dlopen; yyjson (vendored, MIT): JSON-lines plans;
            # _arrow.c: NDJSON events read into Arrow buffers (engine/columnar.py)
            ["engine/_fastpath.c", "engine/_pcre2.c", "engine/_arrow.c", "engine/vendor/yyjson/yyjson.c"],
            depends=["engine/_pcre2.h", "engine/_arrow.h", "engine/vendor/yyjson/yyjson.h"],
            # only yyjson's reader, in its strict RFC 8259 form, is used
            define_macros=[("YYJSON_DISABLE_WRITER", "1"), ("YYJSON_DISABLE_UTILS", "1")],
            optional=True,
            extra_compile_args=["-O2"],
        ),
    ]
)
