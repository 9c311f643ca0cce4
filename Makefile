# mlcore: everything is built from mlcore.h; see README.md.
#   make demo    build and run examples/demo.c on its built-in model
#   make test    build the test suite in every flavour and run it
#   make mobilenet  MobileNetV2 / V3-Small example on the test weights and image
#   make bench   GEMM benchmark against OpenBLAS (needs libopenblas-dev)
#   make bench-mobilenet  MobileNets against ONNX Runtime and PyTorch
#   make fuzz    libFuzzer run over the safetensors parser (clang)
CC      ?= cc
CFLAGS  ?= -O2
WARN    = -Wall -Wextra -Wpedantic
BUILD   = build

.PHONY: all demo mobilenet test bench bench-mobilenet fuzz tools clean
all: $(BUILD)/demo $(BUILD)/mobilenet

$(BUILD):
	mkdir -p $(BUILD)

$(BUILD)/demo: examples/demo.c examples/demo_model.h mlcore.h | $(BUILD)
	$(CC) -std=c99 $(CFLAGS) -march=native $(WARN) -Iexamples -o $@ examples/demo.c -lm

demo: $(BUILD)/demo
	./$(BUILD)/demo

$(BUILD)/mobilenet: examples/mobilenet.c examples/mobilenet_net.h mlcore.h | $(BUILD)
	$(CC) -std=c99 $(CFLAGS) -march=native $(WARN) -o $@ examples/mobilenet.c -lm

mobilenet: $(BUILD)/mobilenet
	./$(BUILD)/mobilenet --arch v2 --profile
	./$(BUILD)/mobilenet --arch v3s --profile

test:
	sh tests/run_all.sh

$(BUILD)/bench_gemm: bench/bench_gemm.c mlcore.h | $(BUILD)
	$(CC) -std=c99 -O2 -march=native $(WARN) -o $@ bench/bench_gemm.c -lopenblas -lm

$(BUILD)/bench_threads: bench/bench_threads.c mlcore.h | $(BUILD)
	$(CC) -std=c99 -O2 -march=native $(WARN) -pthread -o $@ bench/bench_threads.c -lm

bench: $(BUILD)/bench_gemm $(BUILD)/bench_threads
	OPENBLAS_NUM_THREADS=1 ./$(BUILD)/bench_gemm
	./$(BUILD)/bench_threads 2

bench-mobilenet:
	sh bench/bench_mobilenet.sh

$(BUILD)/fuzz_st: tests/fuzz_st.c mlcore.h | $(BUILD)
	clang -g -O1 -march=native -fsanitize=fuzzer,address,undefined -o $@ tests/fuzz_st.c

fuzz: $(BUILD)/fuzz_st
	mkdir -p $(BUILD)/corpus && ./$(BUILD)/fuzz_st -max_total_time=60 $(BUILD)/corpus tests/fuzz_corpus

clean:
	rm -rf $(BUILD)

$(BUILD)/st2c: tools/st2c.c mlcore.h | $(BUILD)
	$(CC) -std=c99 -O2 $(WARN) -o $@ tools/st2c.c -lm

tools: $(BUILD)/st2c
