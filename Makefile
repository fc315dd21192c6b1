# Thin driver over scripts/: every target is one script, so CI and people run the same steps.
# `make` alone lists the targets.

.PHONY: help setup build test test-sanitize fuzz demo bench docs clean

help:
	@echo "bronze targets:"
	@echo "  make setup   install missing Debian packages and the Python venv (.venv)"
	@echo "  make build   configure (first time) and build into build/"
	@echo "  make test    build, then run the C++ (ctest) and Python (pytest) tests"
	@echo "  make test-sanitize  the C++ tests again, built with ASan and UBSan into build-asan/"
	@echo "  make fuzz    the libFuzzer targets (clang, ASan, UBSan) in build-fuzz/: loader 1M runs, run 60 s"
	@echo "  make demo    build, then run the C++ and Python examples"
	@echo "  make bench   build, then run every benchmark suite (ratios against peers, same run)"
	@echo "  make docs    regenerate docs/ops.md from the op and kernel registries"
	@echo "  make clean   remove build/"

setup:
	scripts/setup.sh

build:
	scripts/build.sh

test:
	scripts/test.sh

test-sanitize:
	BRONZE_BUILD_DIR=build-asan BRONZE_BUILD_TYPE=Debug BRONZE_SKIP_PYTHON_TESTS=1 BRONZE_TEST_BINARIES=1 \
	  BRONZE_CMAKE_ARGS="-DBRONZE_SANITIZE=address;undefined -DBRONZE_CUDA=OFF -DBRONZE_BUILD_BENCHMARKS=OFF" \
	  scripts/test.sh

fuzz:
	scripts/fuzz.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

docs: build
	build/tools/gen_ops_doc > docs/ops.md.tmp && mv docs/ops.md.tmp docs/ops.md

clean:
	rm -rf build build-asan
