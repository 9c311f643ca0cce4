# mlcore: everything is built from mlcore.h; see README.md.
#   make demo    build and run examples/demo.c on its built-in model
#   make test    build the test suite in every flavour and run it
#   make examples   build every example; each runs on built-in defaults:
#     make mobilenet vit gpt rnn mamba ngram   (one example each)
#   make size    flash / RAM report of the Cortex-M4F firmware example
#   make firmware  cross builds (Cortex-M, RISC-V, i686, s390x) and checks
#   make bench   GEMM benchmark against OpenBLAS (needs libopenblas-dev)
#   make bench-mobilenet bench-vit bench-rnn bench-ssm bench-ngram
#                against ONNX Runtime / PyTorch where a peer exists
#   make fuzz    libFuzzer runs over the safetensors, ARPA and binary n-gram readers (clang)
CC      ?= cc
CFLAGS  ?= -O2
WARN    = -Wall -Wextra -Wpedantic
BUILD   = build

.PHONY: all examples demo mobilenet vit gpt rnn mamba ngram size firmware test \
        bench bench-mobilenet bench-vit bench-rnn bench-ssm bench-ngram fuzz tools clean
EXAMPLES = demo mobilenet vit gpt stream_rnn mamba_lm ngram
all: examples
examples: $(EXAMPLES:%=$(BUILD)/%)

$(BUILD):
	mkdir -p $(BUILD)

$(BUILD)/demo: examples/demo.c examples/demo_model.h mlcore.h | $(BUILD)
	$(CC) -std=c99 $(CFLAGS) -march=native $(WARN) -Iexamples -o $@ examples/demo.c -lm

demo: $(BUILD)/demo
	./$(BUILD)/demo

$(BUILD)/mobilenet: examples/mobilenet_net.h examples/image_input.h
$(BUILD)/vit: examples/image_input.h
$(BUILD)/%: examples/%.c mlcore.h | $(BUILD)
	$(CC) -std=c99 $(CFLAGS) -march=native $(WARN) -o $@ $< -lm

mobilenet: $(BUILD)/mobilenet
	./$(BUILD)/mobilenet --arch v2 --profile
	./$(BUILD)/mobilenet --arch v3s --profile
vit: $(BUILD)/vit
	./$(BUILD)/vit
gpt: $(BUILD)/gpt
	./$(BUILD)/gpt
rnn: $(BUILD)/stream_rnn
	./$(BUILD)/stream_rnn
mamba: $(BUILD)/mamba_lm
	./$(BUILD)/mamba_lm
ngram: $(BUILD)/ngram
	./$(BUILD)/ngram

size:
	sh examples/firmware/size.sh
firmware:
	sh tests/firmware_check.sh

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
bench-vit:
	sh bench/bench_vit.sh
bench-rnn: $(BUILD)/bench_rnn
	/usr/bin/python3 bench/rnn_peers.py
	./$(BUILD)/bench_rnn --step-only
bench-ssm: $(BUILD)/bench_ssm
	./$(BUILD)/bench_ssm
bench-ngram: $(BUILD)/bench_ngram
	./$(BUILD)/bench_ngram
$(BUILD)/bench_%: bench/bench_%.c mlcore.h | $(BUILD)
	$(CC) -std=c99 -O2 -march=native $(WARN) -o $@ $< -lm

$(BUILD)/fuzz_%: tests/fuzz_%.c mlcore.h | $(BUILD)
	clang -g -O1 -march=native -fsanitize=fuzzer,address,undefined -o $@ $<

fuzz: $(BUILD)/fuzz_st $(BUILD)/fuzz_arpa
	mkdir -p $(BUILD)/corpus && ./$(BUILD)/fuzz_st -max_total_time=60 $(BUILD)/corpus tests/fuzz_corpus
	mkdir -p $(BUILD)/corpus_arpa && ./$(BUILD)/fuzz_arpa -max_total_time=60 $(BUILD)/corpus_arpa tests/fuzz_corpus_ngram

clean:
	rm -rf $(BUILD)

$(BUILD)/st2c: tools/st2c.c mlcore.h | $(BUILD)
	$(CC) -std=c99 -O2 $(WARN) -o $@ tools/st2c.c -lm

tools: $(BUILD)/st2c
