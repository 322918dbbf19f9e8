/*
 * hv_scenario_builtin.c - the scenarios that need no file: `hvsim --scenario NAME`, listed by
 * `hvsim --list-scenarios`. Each is the INI text a student could have written (and can copy to
 * a file and change); the guests' files are found in the build's guestos directory.
 */
#include <string.h>

#include "hv_scenario.h"

/* What tinyos's shell runs in every scenario: each program, one killed for a fault, two
 * CPU-bound programs in the background, then power off. */
#define TINYOS_INPUT                                                                               \
    "input = help\\nhello\\nsyscalls\\npagetouch\\nforkwait\\nfault\\ncounter &\\ncounter "        \
    "&\\nps\\nwait\\npoweroff\\n\n"

#define TINYOS_VM(extra)                                                                           \
    "[vm tinyos]\n"                                                                                \
    "image = tinyos.img\n"                                                                         \
    "memory = 8M\n"                                                                                \
    "cpu = hw\n"                                                                                   \
    "mem = nested\n" extra TINYOS_INPUT "\n"

#define RTOS_VM(extra)                                                                             \
    "[vm rtos]\n"                                                                                  \
    "image = rtos.img\n"                                                                           \
    "memory = 4M\n"                                                                                \
    "cpu = hw\n"                                                                                   \
    "mem = nested\n" extra "\n"

/* The same VMs with other techniques. */
#define TINYOS_VM_TECH(cpu, mem)                                                                   \
    "[vm tinyos]\nimage = tinyos.img\nmemory = 8M\ncpu = " cpu "\nmem = " mem "\n" TINYOS_INPUT "\n"
#define RTOS_VM_TECH(cpu, mem)                                                                     \
    "[vm rtos]\nimage = rtos.img\nmemory = 4M\ncpu = " cpu "\nmem = " mem "\n\n"
/* A tinyos VM whose shell runs the network programs `programs` (the network scenarios). */
#define NET_TINYOS_VM(name, programs)                                                              \
    "[vm " name "]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\n"                     \
    "input = " programs "poweroff\\n\n\n"
#define ENTROPY_VM(name, cpu, mem, keys)                                                           \
    "[vm " name "]\nimage = tinyos.img\nmemory = 8M\ncpu = " cpu "\nmem = " mem "\n" keys          \
    "input = dice\\ndice\\npoweroff\\n\n\n"
#define TINYOS_VM_CPU(cpu) TINYOS_VM_TECH(cpu, "nested")
#define RTOS_VM_CPU(cpu) RTOS_VM_TECH(cpu, "nested")

/* mem-overcommit's VMs: tinyos limited on its own too. */
#define OVERCOMMIT_VMS TINYOS_VM("resident_max = 3M\n") RTOS_VM("")

/* The two hosts of the migration scenarios: host0 has pCPUs 0 and 1, host1 pCPU 2, and the
 * link between them moves 10 bytes a cycle (a 4 KiB page in 410 cycles). */
#define MIGRATE_HOSTS                                                                              \
    "[machine]\npcpus = 3\nram = 64M\n\n"                                                          \
    "[hypervisor]\ntype = 1\nscheduler = pin\n\n"                                                  \
    "[host.0]\npcpus = 0, 1\n\n[host.1]\npcpus = 2\n\n"                                            \
    "[link]\nbandwidth = 10000\nlatency = 10000\nmax_rounds = 8\nstop_pages = 16\n\n"
/* A tinyos of the balloon scenario: 8 MiB seen, 3 MiB of host frames, the same session. */
#define PRESSED_VM(name, extra)                                                                    \
    "[vm " name "]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\n"                     \
    "resident_max = 3M\n" extra                                                                    \
    "input = hello\\nsyscalls\\npagetouch\\nforkwait\\ncounter\\npoweroff\\n\n\n"

/* A tinyos of the double-paging scenario: 384 KiB, too few for pagetouch's 64 pages beside the
 * kernel and the shell, so it swaps to the 1 MiB swap area at the end of its disk. */
#define SWAPPING_VM(name, extra)                                                                   \
    "[vm " name "]\nimage = tinyos.img\nmemory = 384K\ncpu = hw\nmem = nested\n"                    \
    "guest_swap = 1M\n" extra "input = pagetouch\\npoweroff\\n\n\n"

/* A tinyos of the sharing scenario: a short session, so that the three converge and end. */
#define SHARING_VM(name)                                                                           \
    "[vm " name "]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\n"                     \
    "input = hello\\nsyscalls\\ncounter\\npoweroff\\n\n\n"

/* A tinyos of containers-vs-vms: 2 MiB, backed at first touch, in the table's column `col`. */
#define COMPARED_VM(name, col, input)                                                              \
    "[vm " name "]\nimage = tinyos.img\nmemory = 2M\ncpu = hw\nmem = nested\nbacking = lazy\n"     \
    "compare = " col "\ninput = flaw on\\n" input "poweroff\\n\n\n"

/* A tinyos of the limits scenario: `limit` its one limit, `input` its shell's session. */
#define LIMITED_VM(name, limit, input)                                                             \
    "[vm " name "]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\n" limit               \
    "input = " input "poweroff\\n\n\n"

static const struct {
    const char *name, *summary, *text;
} builtins[] = {
    {"default",
     "tinyos and rtos, each in its own VM, on 2 pCPUs (one each): type 1, hardware-assisted, "
     "nested paging with large nested pages",
     "; The default scenario: both guest kernels under the type-1 hypervisor. Their memory is\n"
     "; backed as current hypervisors back it: at creation, in large (4 MiB) nested pages.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n" TINYOS_VM("backing = large\n")
         RTOS_VM("backing = large\n")},
    {"lazy",
     "the default with memory backed lazily: a NESTED_FAULT exit at each first touch of a page",
     "; The default scenario, its memory backed as a hypervisor that overcommits memory backs it:\n"
     "; a frame at each first touch, each touch a NESTED_FAULT exit.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n" TINYOS_VM("backing = lazy\n")
         RTOS_VM("backing = lazy\n")},
    {"splinter",
     "a guest that maps its memory with one 4 MiB page, twice: backed by 4 KiB nested pages "
     "(splintered: each of its 4 KiB pages walks on its own) and by a 4 MiB nested page",
     "; A guest large page over small nested pages is splintered: the TLB can keep only 4 KiB of\n"
     "; it per entry. Both VMs run the splinter guest (one 4 MiB page; it reads 512 of its 4 KiB\n"
     "; pages four times); 'small' is backed by 4 KiB nested pages, 'large' by one 4 MiB page.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n"
     "[vm small]\nimage = splinter.img\nmemory = 4M\ncpu = hw\nmem = nested\nbacking = eager\n\n"
     "[vm large]\nimage = splinter.img\nmemory = 4M\ncpu = hw\nmem = nested\nbacking = large\n\n"},
    {"overcommit", "the default's two VMs on 1 pCPU, in time slices: the rtos misses deadlines",
     "; Overcommit: two VCPUs, one pCPU. The rtos waits for tinyos's slices (1 ms: the default).\n"
     "[machine]\npcpus = 1\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = overcommit\n\n" TINYOS_VM("") RTOS_VM("")},
    {"overcommit-boost",
     "overcommit with a policy for the rtos: a large share and boost (a VCPU that wakes under "
     "its share preempts): it no longer waits for a slice, and its misses fall to none",
     "; Overcommit with Xen credit's BOOST, and the rtos's share raised: it runs when it wakes.\n"
     "[machine]\npcpus = 1\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = overcommit\nboost = on\n\n" TINYOS_VM("")
         RTOS_VM("share = 4096\n")},
    {"untagged", "overcommit with one TLB tag for every VM: each VM switch flushes the TLB",
     "; Overcommit without VM ids in the TLB: compare its TLB misses with 'overcommit'.\n"
     "[machine]\npcpus = 1\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = overcommit\ntlb_tags = off\n\n" TINYOS_VM("")
         RTOS_VM("")},
    {"type2",
     "the default's VMs under a type-2 hypervisor: device exits go to a user-level VMM, and a "
     "host process shares the pCPUs",
     "; Type 2: a host kernel with a VMM process per VM, and a CPU-bound host process.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 2\nscheduler = pin\nhost_process = on\n\n" TINYOS_VM("") RTOS_VM("")},
    {"isolation",
     "an adversarial guest attacks memory, page tables, devices and hypercalls beside the rtos",
     "; Isolation: whatever the adversary does ends as an exit or a fault it gets back.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n"
     "[vm adversary]\nimage = adversary.img\nmemory = 2M\n\n" RTOS_VM("")},
    {"emu",
     "the default's VMs emulated: the hypervisor interprets every instruction (the cost "
     "table's emu_insn each); "
     "tinyos prints what it prints natively, only slower, and the rtos misses its deadlines",
     "; Emulation: no direct execution. Compare the cycle counts with 'default'.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n" TINYOS_VM_CPU("emu") RTOS_VM_CPU("emu")},
    {"shadow",
     "the default's VMs with shadow page tables instead of nested paging (first-generation "
     "hardware assist): hidden page faults, tlbinv and ptroot exits",
     "; Shadow paging: compare the exits and the 'shadow paging' lines with 'default'.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n" TINYOS_VM_TECH("hw", "shadow")
         RTOS_VM_TECH("hw", "shadow")},
    {"trap",
     "tinyos deprivileged (trap-and-emulate) with shadow paging: every privileged instruction "
     "of its kernel traps and is emulated; same transcript, many more exits",
     "; Trap-and-emulate needs shadow paging for a paged kernel: its kernel's view maps the\n"
     "; kernel's pages for real U. (The rtos is left out: its popf would lose its ticks, see\n"
     "; trap-popf.)\n"
     "[machine]\npcpus = 1\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n" TINYOS_VM_TECH("trap", "shadow")},
    {"bt",
     "the default's VMs under binary translation with shadow paging: the kernels' code runs "
     "translated, sensitive instructions inline or as callouts; tinyos prints what it prints "
     "natively, and the rtos keeps its deadlines (a callout at each release costs it little)",
     "; Binary translation: compare the 'binary translation' lines and the exits with 'trap'.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n" TINYOS_VM_TECH("bt", "shadow")
         RTOS_VM_TECH("bt", "shadow")},
    {"trap-popf",
     "the popf guest under hardware assist, trap-and-emulate and binary translation: "
     "deprivileged without translation, its pushf/cli/popf critical sections never unmask "
     "interrupts again and its ticks are lost",
     "; Popek and Goldberg: popf is sensitive but not privileged. The same guest three times;\n"
     "; the trap VM runs its kernel in U, where popf silently leaves IE alone; the bt VM runs\n"
     "; it translated, popf replaced by an inline sequence on the virtual IE.\n"
     "[machine]\npcpus = 3\nram = 16M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n"
     "[vm popf-hw]\nimage = popf.img\nmemory = 2M\ncpu = hw\nmem = nested\n\n"
     "[vm popf-trap]\nimage = popf.img\nmemory = 2M\ncpu = trap\nmem = nested\n\n"
     "[vm popf-bt]\nimage = popf.img\nmemory = 2M\ncpu = bt\nmem = shadow\n"},
    {"mem-overcommit",
     "memory overcommit: tinyos (8 MiB) and rtos (4 MiB) on 4 MiB of host memory, tinyos at "
     "most 3 MiB resident; the hypervisor swaps guest pages, chosen by the clock on nested A "
     "bits",
     "; Memory overcommit (docs/memory.md): the VMs see 12 MiB, the hypervisor gives them\n"
     "; 4 MiB of frames. A nested fault beyond a limit swaps a page out first; a swapped page's\n"
     "; nested entry is invalid and its next touch reads it back. Compare the 'swap' lines.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nhost_memory = 4M\nreplacement = clock\n\n" OVERCOMMIT_VMS},
    {"sharing",
     "content-based page sharing: three identical tinyos VMs; the scanner maps equal pages to "
     "one read-only frame and the sharing ratio converges",
     "; Page sharing (docs/memory.md): the same kernel three times. The scanner hashes 256 pages\n"
     "; every 100 000 cycles; equal pages share one read-only frame, a store copies it back.\n"
     "[machine]\npcpus = 3\nram = 48M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\nsharing = on\nshare_pages = 256\n"
     "share_period = 100000\n\n" SHARING_VM("tinyos1") SHARING_VM("tinyos2") SHARING_VM("tinyos3")},
    {"balloon",
     "the same memory pressure relieved two ways: two tinyos VMs see 8 MiB and get 3 MiB of "
     "host frames; one's balloon driver gives 5 MiB of free pages at boot, the other's pages "
     "are swapped by the hypervisor; the end-of-run table compares faults, I/O and time",
     "; Ballooning (docs/memory.md): the same VM twice under the same limit. 'swapped' relies on\n"
     "; the hypervisor's swap, which guesses from nested A bits; 'ballooned' has a balloon\n"
     "; target, so its kernel gives the hypervisor free frames of its own choosing. Compare the\n"
     "; table at the end of the statistics.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\nreplacement = clock\n\n" PRESSED_VM("swapped", "")
         PRESSED_VM("ballooned", "balloon = 5M\n")},
    {"balloon-moves",
     "a balloon's target moving while the guest runs: tinyos sees 8 MiB and gets 3 MiB of host "
     "frames; no balloon at boot (the hypervisor swaps), 5 MiB from cycle 10 000 000 (the "
     "guest inflates), 1 MiB from cycle 40 000 000 (it deflates)",
     "; Ballooning with a moving target (docs/memory.md): the hypervisor raises the balloon's\n"
     "; line, the guest's driver asks the new target and gives free pages (inflate) or takes\n"
     "; pages back (deflate). The same moves from the REPL: balloon tinyos 5M.\n"
     "[machine]\npcpus = 1\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\nreplacement = clock\n\n" PRESSED_VM(
         "tinyos", "balloon_at = 10000000 5M\nballoon_at = 40000000 1M\n")},
    {"double-paging",
     "double paging: tinyos swaps to its own disk when its 384 KiB run out, in two VMs; in "
     "'both' the hypervisor swaps too (192 KiB of host frames), and the guest's victims are often "
     "pages the hypervisor swapped out already, read back only to be written to the guest's disk",
     "; Double paging (docs/memory.md): the same tinyos session twice. Its kernel has 384 KiB and\n"
     "; swaps to a swap area at the end of its disk (guest_swap) when its frames run out. 'guest'\n"
     "; has a host frame for each of its pages; 'both' gets 192 KiB of them, so the hypervisor\n"
     "; swaps as well, by its clock on nested A bits. Compare the 'double paging' lines.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\nreplacement = clock\n\n" SWAPPING_VM("guest", "")
         SWAPPING_VM("both", "resident_max = 192K\n")},
    {"entropy",
     "tinyos's dice program in four VMs, one per CPU technique (hw, trap, bt, emu), each rolling "
     "with words from the hypervisor's entropy source, a device no hardware has; a fifth VM "
     "without the source finds none",
     "; The entropy source (docs/io.md): a device only the hypervisor implements. tinyos's dice\n"
     "; asks the kernel for 8 words (the system call random); each is an `in` of port 0x320, a\n"
     "; VM exit the hypervisor answers from its generator. The same seed gives the same rolls\n"
     "; under every technique; `info entropy` shows what each source gave.\n"
     "[machine]\npcpus = 2\nram = 64M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = overcommit\n\n" ENTROPY_VM("hw", "hw", "nested",
                                                                     "entropy = on\n")
         ENTROPY_VM("trap", "trap", "shadow", "entropy = on\n")
             ENTROPY_VM("bt", "bt", "shadow", "entropy = on\n")
                 ENTROPY_VM("emu", "emu", "nested", "entropy = on\nentropy_seed = 7\n")
                     ENTROPY_VM("none", "hw", "nested", "")},
    {"vswitch",
     "two tinyos VMs on the hypervisor's virtual switch: each pings the peer host beyond the "
     "switch's uplink, then everyone, and the peer and the other VM's kernel answer; then a "
     "echoes and moves 66 000 bytes to b's echo server, measuring the throughput",
     "; The virtual switch (docs/io.md): each VM's ping goes out through its virtual network card\n"
     "; (an exit per register access), the switch and its uplink, the hypervisor's driver of the\n"
     "; physical card, to the peer host; the broadcast reaches the other VM too, whose kernel\n"
     "; answers it. Then b runs the echo server, and a the echo client and a bulk transfer to\n"
     "; it. `info nic` shows the cards, the switch's table and the uplink.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n" NET_TINYOS_VM("a", "ping\\necho\\nbulk\\n")
         NET_TINYOS_VM("b", "ping\\nechod\\n")},
    {"telemetry",
     "the rtos with a network card beside the plain rtos: its fourth periodic task sends a "
     "frame of its statistics to the peer host every 2 ms over the virtual switch; both "
     "report their deadline misses",
     "; Telemetry (docs/io.md, docs/guests.md): 'telemetry' boots rtos-net.img, the rtos built\n"
     "; with its network task: every 2 ms a job gathers the task table's figures and sends them\n"
     "; to the peer host through its emulated card (3 register accesses, 3 exits), the switch\n"
     "; and its uplink. 'rtos' is the plain rtos on the other pCPU: compare their reports.\n"
     "; --pcap FILE captures the 25 frames; `info nic` counts them.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n" RTOS_VM(
         "") "[vm telemetry]\nimage = rtos-net.img\nmemory = 4M\ncpu = hw\nmem = nested\n\n"},
    {"containers-vs-vms",
     "the same three services (web, db, cache) as three containers in one tinyos VM and as "
     "three tinyos VMs: a table compares memory, start time, exits, hypervisor time and system "
     "calls, and an attack through a kernel flaw planted for the demonstration reads the "
     "neighbouring containers' secrets but nothing outside its own VM",
     "; Containers vs VMs (docs/containers.md): one kernel for three containers, or a kernel\n"
     "; each. `flaw on` turns on a flaw planted in tinyos's peek for this demonstration; the\n"
     "; attack runs beside the cache service and peeks at every process id. Compare the table\n"
     "; at the end of the statistics.\n"
     "[machine]\npcpus = 4\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n" COMPARED_VM(
         "containers", "containers",
         "run -c web web &\\nrun -c db db &\\nrun -c cache cache &\\nrun -c cache attack\\nwait\\n")
         COMPARED_VM("web", "vms", "web\\n") COMPARED_VM("db", "vms", "db\\n")
             COMPARED_VM("cache", "vms", "cache &\\nattack\\nwait\\n")},
    {"limits",
     "four tinyos VMs, each with one limit that binds: a CPU cap of 25% under a CPU-bound "
     "program, resident_max of 3 MiB, disk_bw while the kernel loads, net_bw under a bulk "
     "transfer to a fifth VM's echo server; each VM's limits line says how often",
     "; Resource limits (docs/hypervisor.md, \"Limits per VM in one place\"): each VM has one\n"
     "; limit, low enough to bind. Compare the VMs' `limits:` lines at the end of the\n"
     "; statistics, or `info limits` in the REPL.\n"
     "[machine]\npcpus = 5\nram = 64M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n" LIMITED_VM("capped", "cap = 25\n", "counter\\n")
         LIMITED_VM("small", "backing = lazy\nresident_max = 3M\n",
                    "pagetouch\\n") LIMITED_VM("disk", "disk_bw = 100\n", "hello\\n")
             LIMITED_VM("net", "net_bw = 20\n", "bulk\\n") LIMITED_VM("server", "", "echod\\n")},
    {"migrate",
     "live migration: tinyos moves from host0 to host1 at cycle 2 000 000 by pre-copy rounds "
     "and a stop-and-copy; the rounds table, total time and downtime end the statistics",
     "; Live migration (docs/migration.md): two hosts in one run and a link between them. At\n"
     "; cycle 2 000 000 the hypervisor starts copying tinyos's memory to host1 while it runs,\n"
     "; round after round, the pages it dirtied (nested D bits) again; then a short "
     "pause.\n" MIGRATE_HOSTS TINYOS_VM("migrate_at = 2000000\n") RTOS_VM("")},
    {"migrate-shadow",
     "the migrate scenario under shadow paging: the dirty log comes from write-protecting the "
     "shadow entries each round, not from nested D bits",
     "; Live migration under shadow paging (docs/migration.md): the MMU walks the shadows only,\n"
     "; so no D bit logs a store. Each round makes every shadow entry of tinyos read-only; its\n"
     "; first store to a page then faults (hidden), is logged, and gets W back.\n" MIGRATE_HOSTS
     "[vm tinyos]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = shadow\n"
     "migrate_at = 2000000\n" TINYOS_INPUT "\n" RTOS_VM("")},
    {"migrate-bt",
     "the migrate scenario under binary translation: the monitor's state page goes in the "
     "stop-and-copy, the translation cache is dropped and host1 translates the code again",
     "; Live migration of a VM under binary translation (docs/migration.md): tinyos's memory\n"
     "; moves as under hw + shadow; its monitor's state page (virtual flags and CSRs) goes in\n"
     "; the stop-and-copy; host1's monitor starts with an empty translation cache.\n" MIGRATE_HOSTS
     "[vm tinyos]\nimage = tinyos.img\nmemory = 8M\ncpu = bt\nmem = shadow\n"
     "migrate_at = 2000000\n" TINYOS_INPUT "\n" RTOS_VM("")},
    {"migrate-rtos",
     "live migration of the rtos while its tasks run: its report says whether the downtime "
     "made it miss deadlines",
     "; Live migration of a soft real-time guest (docs/migration.md): the rtos moves to host1\n"
     "; at cycle 300 000, in the middle of its periodic tasks. Its timer goes on while it is\n"
     "; paused for the stop-and-copy: the jobs due meanwhile run late.\n" MIGRATE_HOSTS RTOS_VM(
         "migrate_at = 300000\n")},
    {"io-paths",
     "the emulated and the paravirtual network card side by side: two tinyos VMs each run "
     "netbench (16 full-size pings to the peer host) at once; compare their exits",
     "; The I/O paths (docs/io.md, docs/experiments.md): emulated's driver reaches its card's\n"
     "; registers, an exit each; paravirtual's puts its frames in queues in its own memory and\n"
     "; makes one hypercall per batch. Both share the switch's uplink to the peer host. `hvsim\n"
     "; bench-io` runs the same transfer alone by each path, natively and by passthrough too.\n"
     "[machine]\npcpus = 2\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n"
     "[vm emulated]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\n"
     "nic = emulated\ninput = netbench\\npoweroff\\n\n\n"
     "[vm paravirtual]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\nnic = pv\n"
     "input = netbench\\npoweroff\\n\n\n"},
    {"passthrough",
     "the physical network card assigned to a tinyos VM: its own driver programs the card with "
     "no exit, and the IOMMU translates the card's DMA through the VM's I/O page table",
     "; Passthrough (docs/io.md): `assign = nic0` gives the VM the physical card. Its registers\n"
     "; are reached without a VM exit (the VMCB's port window), its interrupt is posted to the\n"
     "; VM, and the guest-physical addresses its driver writes into the rings are translated by\n"
     "; the IOMMU through an I/O page table the hypervisor built from the VM's nested map.\n"
     "; `info iommu` shows the card's context; compare the exits with the vswitch scenario.\n"
     "[machine]\npcpus = 1\nram = 32M\n\n"
     "[hypervisor]\ntype = 1\n\n"
     "[vm tinyos]\nimage = tinyos.img\nmemory = 8M\ncpu = hw\nmem = nested\nassign = nic0\n"
     "input = ping\\npoweroff\\n\n\n"},
    {"shared-disk",
     "one physical disk multiplexed: three tinyos VMs each load the 8-page program big three "
     "times at once; their commands queue at the host's one disk, and a table says what each "
     "VM's waited",
     "; One device multiplexed (docs/io.md, \"The host's one disk\"): each VM's virtual disk is a\n"
     "; region of the host's one disk, and the hypervisor serves the VMs' commands one at a\n"
     "; time, first come first served. Three tinyos VMs on their own pCPUs boot and load `big`\n"
     "; (64 sectors, a command per page) at the same time: each command waits for the others'.\n"
     "; The statistics end with the host disk's table; `info disk` shows the queue.\n"
     "[machine]\npcpus = 3\nram = 48M\n\n"
     "[hypervisor]\ntype = 1\nscheduler = pin\n\n" NET_TINYOS_VM(
         "a", "run -c web big\\nrun -c db big\\n")
         NET_TINYOS_VM("b", "run -c web big\\nrun -c db big\\n")
             NET_TINYOS_VM("c", "run -c web big\\nrun -c db big\\n")},
    {"rogue-dma",
     "the IOMMU as protection: a VM that owns the network card programs its DMA to read and "
     "overwrite another VM's secret and the hypervisor's memory; the IOMMU blocks each DMA",
     "; The IOMMU as protection (docs/io.md): rogue owns the physical card and aims its DMA at\n"
     "; host-physical addresses outside its own memory: the victim's secret (a read, then a\n"
     "; write) and the victim's VMCB (the hypervisor's memory). Each is outside rogue's I/O page\n"
     "; table, so the IOMMU blocks it: `info iommu` lists the faults, `break hv dma-fault` stops\n"
     "; at each. Add `iommu = off` under [hypervisor] to see the same DMAs go through.\n"
     "[machine]\npcpus = 2\nram = 16M\n\n"
     "[hypervisor]\ntype = 1\n\n"
     "[vm victim]\nkernel = victim.bin\nmemory = 64K\nbacking = eager\n\n"
     "[vm rogue]\nkernel = rogue.bin\nmemory = 64K\nbacking = eager\nassign = nic0\n\n"},
};

#define NBUILTINS (sizeof builtins / sizeof builtins[0])

size_t hv_builtin_count(void)
{
    return NBUILTINS;
}

const char *hv_builtin_name(size_t i)
{
    return i < NBUILTINS ? builtins[i].name : NULL;
}

const char *hv_builtin_summary(size_t i)
{
    return i < NBUILTINS ? builtins[i].summary : NULL;
}

const char *hv_builtin_text(const char *name)
{
    for (size_t i = 0; i < NBUILTINS; i++)
        if (strcmp(builtins[i].name, name) == 0)
            return builtins[i].text;
    return NULL;
}
