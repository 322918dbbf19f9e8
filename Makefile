# hvsim - one build for the simulator, its tools, tests, benchmarks and sanitizer run.
#
#   make          build/hvsim, build/hvasm, the core library build/libhvsim.a and the debugger
#                 layer above it, build/libhvdebug.a; the window, build/hvsim-gui.so, a module
#                 hvsim loads only when a window or a PNG is asked for
#   make run      run the demo (installs what it needs first)
#   make test     build and run the Criterion test suite (installs what it needs first)
#   make asan     the test suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz [FUZZ_SECONDS=N]   libFuzzer harnesses (tests/fuzz, docs/fuzzing.md), each run for
#                 N seconds (default 60) one after another
#   make bench    benchmarks that print figures (simulated MIPS, cycles, CPI)
#   make grade LAB=N         grade lab N (labs/, docs/labs.md): per-test OK/FAIL, Score: N/M,
#                            $(BUILD)/labN-results.json; non-zero exit below full marks
#   make handout LAB=N [OUT=DIR]   a student's tree for lab N, solutions replaced by stubs
#   make gradescope LAB=N    the Gradescope autograder zip; make classroom LAB=N [OUT=DIR] the
#                            GitHub Classroom workflow, one step per test
#   make clean

BUILD   ?= build
CC      ?= cc
OPT     ?= -O2
SAN     ?=
CHECKS  ?= # -DHV_CHECK_ALWAYS (make asan): hv_check_invariants after every VM exit and hub event;
          # -DHVSIM_BLOCK_CHECK (make asan): a predecoded block is compared with RAM at each entry
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $(OPT) $(SAN) $(CHECKS) -g -MMD -MP
LDFLAGS += $(SAN)
# Libraries the core library needs (Debian -dev packages, installed by .ci/ensure-deps).
CORE_LIBS := -linih -ljansson -lxxhash -lzstd -lpcap
CORE_PKGS := libinih-dev libjansson-dev libxxhash-dev libzstd-dev libpcap-dev
# Libraries only the hvsim front end links (the REPL's readline); tmux drives its terminal test.
UI_LIBS := -lreadline
UI_PKGS := libreadline-dev
TEST_PKGS := libcriterion-dev tmux xvfb xdotool
# The SDL visualizer (ui/gui): SDL2 with SDL2_ttf and SDL2_image, and its font. Its flags come
# from pkg-config; only ui/gui, its tests and the benchmark are compiled with them (the core
# library never is), and hvsim does not link them: the window is the module hvsim-gui.so
# (below). Xvfb and xdotool (above) drive the window's input test.
GUI_PKGS   := libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev fonts-dejavu-core pkg-config
GUI_CFLAGS := $(shell pkg-config --cflags sdl2 SDL2_ttf SDL2_image 2>/dev/null)
GUI_LIBS   := $(shell pkg-config --libs sdl2 SDL2_ttf SDL2_image 2>/dev/null)

CORE_DIRS := cpu sim mmu iommu hypervisor
CORE_SRC  := $(sort $(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.c)))
CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
LIB       := $(BUILD)/libhvsim.a
# The debugger (ui/debug): it reads the machine and the hypervisor, so it sits above the core in
# a library of its own, with no SDL and no readline. The REPL, the window, the tests and the
# benchmarks link it.
DEBUG_SRC := $(sort $(wildcard ui/debug/*.c))
DEBUG_LIB := $(BUILD)/libhvdebug.a

REPL_SRC  := $(sort $(wildcard ui/repl/*.c))
REPL_MAIN := ui/repl/repl_main.c ui/repl/repl_readline.c
GUI_SRC   := $(sort $(wildcard ui/gui/*.c))
# Compiled position-independent, for the module (below), in a directory of their own.
GUI_OBJ   := $(GUI_SRC:%.c=$(BUILD)/pic/%.o)
# The window's loop and session need the REPL's terminal and hvsim's scenarios: not in tests.
GUI_MAIN  := ui/gui/gui_window.c
GUI_CORE_OBJ := $(filter-out $(GUI_MAIN:%.c=$(BUILD)/pic/%.o),$(GUI_OBJ))
# hvsim links no SDL: ui/hvsim/gui_module.c loads the window from $(GUI_MODULE) when asked.
HVSIM_SRC := $(sort $(wildcard ui/hvsim/*.c)) $(REPL_SRC)
GUI_MODULE := $(BUILD)/hvsim-gui.so
HVASM_SRC := $(sort $(wildcard ui/hvasm/*.c))
HVIMG_SRC := $(sort $(wildcard ui/hvimg/*.c))
# The lab grader (labs/grader, docs/labs.md): it runs hvsim-tests, so it links nothing of hvsim.
HVGRADE_SRC := $(sort $(wildcard labs/grader/*.c))
TEST_SRC  := $(sort $(wildcard tests/*/*.c))
TEST_SRC  := $(filter-out tests/bench/% tests/fuzz/%,$(TEST_SRC))
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))

HVSIM := $(BUILD)/hvsim
HVASM := $(BUILD)/hvasm
HVIMG := $(BUILD)/hvimg
HVGRADE := $(BUILD)/hvgrade
TESTS := $(BUILD)/hvsim-tests
BENCH := $(BUILD)/hvbench

EXAMPLES := $(sort $(wildcard examples/*.s))

# The guests (guestos/, docs/guests.md): the boot ROM, the boot loader, the kernels and their
# user programs are assembled with hvasm (each .bin with its .sym and .lines for the debugger:
# symbols, and the source line of each instruction for list and bt), and the
# disk images packed with hvimg from guestos/*.manifest. A manifest names its files relative
# to $(GUEST), where it is copied first, so any BUILD directory works.
GUEST      := $(BUILD)/guestos
GUEST_SRC  := $(sort $(wildcard guestos/*/*.s guestos/*/*.inc guestos/*/*/*.s guestos/*/*/*.inc))
GUEST_IMGS := $(patsubst guestos/%.manifest,$(GUEST)/%.img,$(wildcard guestos/*.manifest))
GUEST_USER := $(patsubst guestos/tinyos/user/%.s,$(GUEST)/tinyos/%.bin,$(wildcard guestos/tinyos/user/*.s))
GUESTS     := $(GUEST)/rom.bin $(GUEST_IMGS) $(GUEST)/rogue.bin $(GUEST)/victim.bin

.PHONY: all run test asan fuzz fuzz-build fuzz-replay bench clean deps-test deps-run deps-grade guests grade handout gradescope classroom
all: $(HVSIM) $(GUI_MODULE) $(HVASM) $(if $(HVIMG_SRC),$(HVIMG)) $(HVGRADE) guests

# An object and its .d are removed before they are written: the compiler writes the .d in place,
# and a tree lent this build's files as hard links (labs/handout.sh --lend, the lab checks) must
# write new files, never into the build's own.
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@) && rm -f $@ $(@:.o=.d)
	$(CC) $(CFLAGS) -c $< -o $@

# The interpreter's loop: GCC's SLP vectorizer packs the cycle and instruction counters into one
# vector register and spills it on every instruction; without it `make bench` runs the flat loop
# about 1.4x and the paged loops about 1.6x faster. GCC copies the threaded dispatch's jump into
# the end of every case only when allowed more than 8 instructions for it (clang has no such
# parameter: the test leaves it out there).
$(BUILD)/obj/cpu/cpu_exec.o: CFLAGS += -fno-tree-slp-vectorize $(shell $(CC) -Werror --param max-goto-duplication-insns=20 -x c -c /dev/null -o /dev/null 2>/dev/null && echo --param max-goto-duplication-insns=20)

$(LIB): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(DEBUG_LIB): $(DEBUG_SRC:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# The window's module calls back into hvsim (the core, the debugger, the REPL, the scenarios):
# -rdynamic exports hvsim's functions to it, and the libraries go in whole, so that whatever the
# module calls is there even when hvsim itself never calls it (one copy of every global).
$(HVSIM): $(HVSIM_SRC:%.c=$(BUILD)/obj/%.o) $(DEBUG_LIB) $(LIB)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $(filter %.o,$^) \
	    -Wl,--whole-archive $(DEBUG_LIB) $(LIB) -Wl,--no-whole-archive \
	    $(CORE_LIBS) $(UI_LIBS) -ldl -lm

# The window, with SDL, as a module beside hvsim (ui/hvsim/gui_module.c). Before it takes its
# name, hvsim loads it at start with every symbol bound (LD_BIND_NOW): a function the module
# needs and hvsim lacks fails the build here, never a student's window. ASan's runtime must be
# the first library, which a preloaded module is not: that check is switched off for this run.
$(GUI_MODULE): $(GUI_OBJ) $(HVSIM)
	$(CC) $(LDFLAGS) -shared -o $@.tmp $(GUI_OBJ) $(GUI_LIBS) -lm
	LD_BIND_NOW=1 LD_PRELOAD=$(abspath $@.tmp) ASAN_OPTIONS=verify_asan_link_order=0 \
	    $(HVSIM) --version >/dev/null
	mv $@.tmp $@

$(BUILD)/pic/ui/gui/%.o: ui/gui/%.c
	@mkdir -p $(dir $@) && rm -f $@ $(@:.o=.d)
	$(CC) $(CFLAGS) $(GUI_CFLAGS) -fPIC -c $< -o $@
$(BUILD)/obj/tests/gui/%.o $(BUILD)/obj/tests/bench/bench_gui.o: CFLAGS += $(GUI_CFLAGS)

$(HVASM): $(HVASM_SRC:%.c=$(BUILD)/obj/%.o) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LIBS) -lm

$(HVIMG): $(HVIMG_SRC:%.c=$(BUILD)/obj/%.o) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LIBS) -lm

$(HVGRADE): $(HVGRADE_SRC:%.c=$(BUILD)/obj/%.o)
	$(CC) $(LDFLAGS) -o $@ $^ -linih -ljansson

# The tests also run the REPL's commands in-process: all of it but the start-up and readline.
$(TESTS): $(TEST_SRC:%.c=$(BUILD)/obj/%.o) $(filter-out $(REPL_MAIN:%.c=$(BUILD)/obj/%.o),$(REPL_SRC:%.c=$(BUILD)/obj/%.o)) $(GUI_CORE_OBJ) $(DEBUG_LIB) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lcriterion $(CORE_LIBS) $(GUI_LIBS) -lm

# The fuzz harnesses (tests/fuzz, docs/fuzzing.md): each defines LLVMFuzzerTestOneInput over
# everything the tests link (the REPL's commands included). Linked with replay_main.c they
# replay a corpus (make test); linked with libFuzzer (make fuzz, clang) they fuzz.
FUZZ_HARNESSES := asm image scenario repl cpu
FUZZ_LINK  = $(BUILD)/obj/tests/fuzz/fuzz_util.o $(BUILD)/obj/tests/support/hv_break.o \
    $(filter-out $(REPL_MAIN:%.c=$(BUILD)/obj/%.o),$(REPL_SRC:%.c=$(BUILD)/obj/%.o)) \
    $(GUI_CORE_OBJ) $(DEBUG_LIB) $(LIB)
FUZZ_REPLAY := $(FUZZ_HARNESSES:%=$(BUILD)/fuzz-replay/fuzz_%)
.SECONDARY: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/fuzz/*.c))
$(BUILD)/fuzz-replay/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay_main.o $(FUZZ_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LIBS) $(GUI_LIBS) -lm
$(BUILD)/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(CORE_LIBS) $(GUI_LIBS) -lm

$(BENCH): $(BENCH_SRC:%.c=$(BUILD)/obj/%.o) $(GUI_CORE_OBJ) $(DEBUG_LIB) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LIBS) $(GUI_LIBS) -lm

guests: $(GUESTS)
.PRECIOUS: $(GUEST)/%.bin $(GUEST)/tinyos/%.bin

# A guest's bytes are what the assembler (or the image packer) makes of its sources, whenever the
# tool was linked: hvasm and hvimg are relinked each time libhvsim.a changes (a lab's file in
# hypervisor/, say), although they take only the assembler's and the images' members of it, and
# come out byte for byte the same. So the guests depend on each tool's checksum, BUILD/hvasm.sum
# and BUILD/hvimg.sum, rewritten only when the tool's bytes differ: a change to the assembler's
# code (or to how it is compiled) changes them, and every guest is built again; a .sum that
# keeps its time rebuilds nothing (make looks at its time again after the recipe).
TOOL_SUMS := $(HVASM).sum $(HVIMG).sum
$(TOOL_SUMS): %.sum: %
	@sha256sum <$< >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# Every guest binary is rebuilt when any guest source changes: they share include files, and
# assembling them all takes a fraction of a second.
$(GUEST)/%.bin: guestos/boot/%.s $(GUEST_SRC) $(HVASM).sum
	@mkdir -p $(dir $@)
	$(HVASM) -o $@ $<
$(GUEST)/%.bin: guestos/%/kernel.s $(GUEST_SRC) $(HVASM).sum
	@mkdir -p $(dir $@)
	$(HVASM) -o $@ $<
$(GUEST)/tinyos/%.bin: guestos/tinyos/user/%.s $(GUEST_SRC) $(HVASM).sum
	@mkdir -p $(dir $@)
	$(HVASM) -o $@ $<
$(GUEST)/tinyos.img: $(GUEST_USER)
$(GUEST)/%.img: guestos/%.manifest $(GUEST)/loader.bin $(GUEST)/%.bin $(HVIMG).sum
	cp $< $(GUEST)/$*.manifest
	$(HVIMG) build $(GUEST)/$*.manifest -o $@

# Set-up: each entry point installs the Debian packages it needs (or says how, when not root).
deps-run:
	@sh .ci/ensure-deps build-essential $(CORE_PKGS) $(UI_PKGS) $(GUI_PKGS)
deps-test:
	@sh .ci/ensure-deps build-essential $(CORE_PKGS) $(UI_PKGS) $(GUI_PKGS) $(TEST_PKGS)
# What grading a lab needs (Gradescope's setup.sh, GitHub Classroom's build step).
GRADE_PKGS := build-essential $(CORE_PKGS) $(UI_PKGS) $(GUI_PKGS) libcriterion-dev
deps-grade:
	@sh .ci/ensure-deps $(GRADE_PKGS)

# The entry points below build in a sub-make with every core (nproc jobs), each job's output
# printed whole when it ends (--output-sync), unless make was given -j itself: then the sub-make
# shares that jobserver (make -j1 test builds one job at a time). The tests' own --jobs 2 stays.
NPROC := $(shell nproc 2>/dev/null || echo 1)
PARALLEL = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(NPROC) --output-sync=target)

# With a display the window opens on the default scenario (the REPL stays live in the
# terminal); without one, the demo runs headless.
run: deps-run
	@$(MAKE) --no-print-directory $(PARALLEL) all
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then echo "$(HVSIM) --gui"; $(HVSIM) --gui; \
	else echo "$(HVSIM) --headless"; $(HVSIM) --headless; fi

# The tests run the built tools (hvsim, hvasm) as a student would, so they are built first.
# A test that hangs fails after TEST_TIMEOUT seconds instead of stalling the suite.
TEST_TIMEOUT = 300
test: deps-test
	@$(MAKE) --no-print-directory $(PARALLEL) all $(TESTS) $(FUZZ_REPLAY)
	DISPLAY= WAYLAND_DISPLAY= HVSIM_BUILD=$(BUILD) $(TESTS) --jobs 2 --timeout $(TEST_TIMEOUT)
	@$(MAKE) --no-print-directory fuzz-replay

# Every input ever kept in a fuzz corpus (seeds and the crashes found) runs once more.
fuzz-replay: $(FUZZ_REPLAY)
	@for h in $(FUZZ_HARNESSES); do \
	    HVSIM_BUILD=$(BUILD) $(BUILD)/fuzz-replay/fuzz_$$h tests/fuzz/$$h || exit 1; done

asan: deps-test
	@$(MAKE) --no-print-directory $(PARALLEL) BUILD=build-asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    CHECKS="-DHV_CHECK_ALWAYS -DHVSIM_BLOCK_CHECK" \
	    build-asan/hvsim build-asan/hvsim-gui.so build-asan/hvasm build-asan/hvimg build-asan/hvgrade \
	    build-asan/hvsim-tests build-asan/fuzz-replay/fuzz_cpu guests
	DISPLAY= WAYLAND_DISPLAY= HVSIM_BUILD=build-asan ASAN_OPTIONS=detect_leaks=1 \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    UBSAN_OPTIONS=print_stacktrace=1 build-asan/hvsim-tests --jobs 2 --timeout $(TEST_TIMEOUT)
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    CHECKS="-DHV_CHECK_ALWAYS -DHVSIM_BLOCK_CHECK" ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp fuzz-replay

# libFuzzer (clang from Debian) over each harness in turn, for FUZZ_SECONDS each. New inputs go
# to build-fuzz/corpus/NAME (the checked-in seeds in tests/fuzz/NAME are read, not written);
# a crash is written to build-fuzz/crashes/NAME-* and stops the run: keep it in tests/fuzz/NAME
# once fixed. One job at a time, so the run takes about 5 x FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
fuzz-build:
	@sh .ci/ensure-deps build-essential clang libclang-rt-14-dev $(CORE_PKGS) $(UI_PKGS) $(GUI_PKGS)
	@$(MAKE) --no-print-directory $(PARALLEL) BUILD=build-fuzz CC=clang OPT=-O1 \
	    SAN="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" CHECKS="-DHV_CHECK_ALWAYS -DHVSIM_BLOCK_CHECK" \
	    $(FUZZ_HARNESSES:%=build-fuzz/fuzz/fuzz_%) guests
fuzz: fuzz-build
	@for h in $(FUZZ_HARNESSES); do mkdir -p build-fuzz/corpus/$$h build-fuzz/crashes; \
	    echo "fuzz: $$h for $(FUZZ_SECONDS) s"; \
	    HVSIM_BUILD=build-fuzz ASAN_OPTIONS=detect_leaks=1 \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    build-fuzz/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=2048 -max_len=4097 \
	        -print_final_stats=1 -artifact_prefix=build-fuzz/crashes/$$h- \
	        build-fuzz/corpus/$$h tests/fuzz/$$h 2>build-fuzz/$$h.log || \
	        { tail -40 build-fuzz/$$h.log; exit 1; }; \
	    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' build-fuzz/$$h.log; done

bench: deps-run
	@$(MAKE) --no-print-directory $(PARALLEL) all $(BENCH)
	$(BENCH)

# The labs (docs/labs.md). LAB=N picks labs/0N-name; its manifest lab.ini lists the tests.
LAB_DIR = $(firstword $(wildcard labs/$(shell printf %02d '$(LAB)' 2>/dev/null)-*))
define need-lab
	@if [ -z "$(LAB)" ] || [ ! -f "$(LAB_DIR)/lab.ini" ]; then \
	    echo "make $@ LAB=N: N is one of the labs: $$(ls -d labs/[0-9]*-* | tr '\n' ' ')" >&2; \
	    exit 2; fi
endef
grade: deps-test
	$(need-lab)
	@$(MAKE) --no-print-directory $(PARALLEL) all $(TESTS)
	@$(HVGRADE) --build $(BUILD) --results $(BUILD)/lab$(LAB)-results.json $(LAB_DIR)/lab.ini

handout:
	$(need-lab)
	@sh labs/handout.sh $(LAB) $(or $(OUT),handout-lab$(LAB))

classroom: $(HVGRADE)
	$(need-lab)
	@mkdir -p $(or $(OUT),.)/.github/workflows
	$(HVGRADE) --classroom $(or $(OUT),.)/.github/workflows/classroom.yml $(LAB_DIR)/lab.ini

gradescope:
	$(need-lab)
	@sh .ci/ensure-deps zip
	@sh labs/gradescope.sh $(LAB) $(BUILD)/lab$(LAB)-autograder.zip "$(GRADE_PKGS)"

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj $(BUILD)/pic -name '*.d' 2>/dev/null)
