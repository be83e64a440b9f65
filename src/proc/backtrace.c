/* SPDX-License-Identifier: MIT */
/*
 * backtrace.c — the frames of a crash report as text.
 *
 * With libdw (elfutils), each frame is named from the program's own
 * symbol tables and debug information: static functions too, and the
 * source line where there is DWARF, without -rdynamic. Without it,
 * backtrace_symbols() names what the dynamic symbol tables export.
 *
 * libdw's view of the process (which modules are mapped where) is built
 * once and kept: reading /proc/self/maps and the ELF files again for every
 * crash would cost milliseconds. A frame in a module it does not know (a
 * library dlopen()ed since) makes it look again.
 */
#include "config.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

#ifdef OT_HAVE_LIBDW
#include <elfutils/libdwfl.h>

static pthread_mutex_t dwfl_lock = PTHREAD_MUTEX_INITIALIZER;
static Dwfl *dwfl; /* dwfl_lock */

/*
 * Finds a module's ELF file as libdwfl does, then maps it and closes the
 * descriptor: the view is kept between crashes, and a program that
 * counts its descriptors (a server's leak check) must not find otter's.
 */
static int find_elf_mapped(Dwfl_Module *mod, void **userdata,
			   const char *modname, Dwarf_Addr base,
			   char **file_name, Elf **elfp)
{
	int fd = dwfl_linux_proc_find_elf(mod, userdata, modname, base,
					  file_name, elfp);
	if (fd < 0 || *elfp)
		return fd;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return fd; /* libdwfl tries itself */
	elf_cntl(elf, ELF_C_FDDONE);
	close(fd);
	*elfp = elf;
	return -1;
}

/*
 * Separate debug files (/usr/lib/debug) are not looked for: libdwfl keeps
 * the descriptor of each one open for as long as the view lives. Names
 * come from the symbol tables and lines from DWARF in the file itself
 * (a program built with -g).
 */
static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			Dwarf_Addr base, const char *file_name,
			const char *debuglink_file, GElf_Word debuglink_crc,
			char **debuginfo_file_name)
{
	(void)mod, (void)userdata, (void)modname, (void)base;
	(void)file_name, (void)debuglink_file, (void)debuglink_crc;
	(void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks callbacks = {
    .find_elf = find_elf_mapped,
    .find_debuginfo = no_debuginfo,
};

/*
 * The descriptions of frames seen before. libdwfl finds a symbol by
 * walking the module's whole symbol table, which costs ~100 us for a
 * backtrace through libc: a supervised child that crashes again and
 * again shows the same frames, and finds them here. Direct-mapped by
 * address; dwfl_lock.
 */
#define DESC_CACHE 256
#define DESC_MAX   512
static struct desc {
	uintptr_t key; /* the address, low bit: caller; 0: empty */
	char text[DESC_MAX];
} * desc_cache;

static struct desc *desc_slot(uintptr_t key)
{
	if (!desc_cache &&
	    !(desc_cache = calloc(DESC_CACHE, sizeof *desc_cache)))
		return NULL;
	return &desc_cache[(key >> 4 ^ key >> 12) % DESC_CACHE];
}

/* (Re)reads which modules are mapped where. dwfl_lock held. */
static bool dwfl_refresh(void)
{
	if (!dwfl && !(dwfl = dwfl_begin(&callbacks)))
		return false;
	dwfl_report_begin(dwfl);
	int rc = dwfl_linux_proc_report(dwfl, getpid());
	dwfl_report_end(dwfl, NULL, NULL);
	return rc == 0;
}

/* "name+0x1a at file.c:42 (module)" for addr, or false. dwfl_lock held. */
static bool dwfl_lookup(uintptr_t addr, bool caller, char *buf, size_t size)
{
	/* A return address points after the call: look up the call. */
	Dwarf_Addr at = caller && addr > 0 ? addr - 1 : addr;
	Dwfl_Module *mod = dwfl ? dwfl_addrmodule(dwfl, at) : NULL;
	if (!mod && (!dwfl_refresh() || !(mod = dwfl_addrmodule(dwfl, at))))
		return false;
	Dwarf_Addr start = 0;
	const char *modname =
	    dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *fn =
	    dwfl_module_addrinfo(mod, at, &off, &sym, NULL, NULL, NULL);
	if (caller && fn)
		off++; /* the offset of the return address, as gdb shows */
	int n = fn ? snprintf(buf, size, "0x%" PRIxPTR " %s+0x%" PRIx64, addr,
			      fn, (uint64_t)off)
		   : snprintf(buf, size, "0x%" PRIxPTR " ?? +0x%" PRIx64, addr,
			      (uint64_t)(addr - start));
	Dwfl_Line *line = dwfl_module_getsrc(mod, at);
	int lineno = 0;
	const char *file =
	    line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
	if (file && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, " at %s:%d", file,
			      lineno);
	if (modname && n >= 0 && (size_t)n < size) {
		const char *base = strrchr(modname, '/');
		snprintf(buf + n, size - (size_t)n, " (%s)",
			 base ? base + 1 : modname);
	}
	return true;
}

static bool dwfl_describe(uintptr_t addr, bool caller, char *buf, size_t size)
{
	uintptr_t key = addr << 1 | caller;
	struct desc *d = desc_slot(key);
	if (d && d->key == key) {
		snprintf(buf, size, "%s", d->text);
		return true;
	}
	if (!dwfl_lookup(addr, caller, buf, size))
		return false;
	if (d) {
		d->key = key;
		snprintf(d->text, sizeof d->text, "%s", buf);
	}
	return true;
}
#endif

void ot__backtrace_write(void *const *frames, int n, bool from_fault,
			 void (*line)(void *ctx, int i, const char *text),
			 void *ctx)
{
	char text[512];
	char **sym = NULL;
	bool sym_taken = false;
#ifdef OT_HAVE_LIBDW
	pthread_mutex_lock(&dwfl_lock);
#endif
	for (int i = 0; i < n; i++) {
		/* the first frame of a fault is where it faulted; the others
		 * are return addresses */
		bool caller = !(from_fault && i == 0);
#ifdef OT_HAVE_LIBDW
		if (dwfl_describe((uintptr_t)frames[i], caller, text,
				  sizeof text)) {
			line(ctx, i, text);
			continue;
		}
#else
		(void)caller;
#endif
		if (!sym_taken) {
			sym = backtrace_symbols(frames, n);
			sym_taken = true;
		}
		if (!sym)
			snprintf(text, sizeof text, "%p", frames[i]);
		line(ctx, i, sym ? sym[i] : text);
	}
#ifdef OT_HAVE_LIBDW
	pthread_mutex_unlock(&dwfl_lock);
#endif
	free(sym);
}

void ot__backtrace_fini(void)
{
#ifdef OT_HAVE_LIBDW
	pthread_mutex_lock(&dwfl_lock);
	if (dwfl)
		dwfl_end(dwfl);
	dwfl = NULL;
	free(desc_cache);
	desc_cache = NULL;
	pthread_mutex_unlock(&dwfl_lock);
#endif
}

/*
 * The name of the function at addr (an entry function, for
 * ot_process_details), or "" when no symbol table has it. Entry functions
 * are few and an observer asks for every process: the names found are
 * kept, direct-mapped by address.
 */
#define NAME_CACHE 64
static struct {
	pthread_mutex_t lock;
	struct {
		uintptr_t addr;
		char name[OT_ENTRY_NAME_MAX + 1];
	} e[NAME_CACHE];
} names = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void lookup_name(uintptr_t addr, char *buf, size_t size)
{
	buf[0] = '\0';
#ifdef OT_HAVE_LIBDW
	pthread_mutex_lock(&dwfl_lock);
	Dwfl_Module *mod = dwfl ? dwfl_addrmodule(dwfl, addr) : NULL;
	if (!mod && dwfl_refresh())
		mod = dwfl_addrmodule(dwfl, addr);
	const char *fn = mod ? dwfl_module_addrname(mod, addr) : NULL;
	if (fn)
		snprintf(buf, size, "%s", fn);
	pthread_mutex_unlock(&dwfl_lock);
	if (fn)
		return;
#endif
	Dl_info info;
	if (dladdr((void *)addr, &info) && info.dli_sname &&
	    (uintptr_t)info.dli_saddr == addr)
		snprintf(buf, size, "%s", info.dli_sname);
}

void ot__symbol_name(const void *addr, char *buf, size_t size)
{
	uintptr_t a = (uintptr_t)addr;
	unsigned i = (unsigned)((a >> 4 ^ a >> 12) % NAME_CACHE);
	pthread_mutex_lock(&names.lock);
	if (a && names.e[i].addr == a) {
		snprintf(buf, size, "%s", names.e[i].name);
		pthread_mutex_unlock(&names.lock);
		return;
	}
	pthread_mutex_unlock(&names.lock);
	if (!a) {
		buf[0] = '\0';
		return;
	}
	char name[OT_ENTRY_NAME_MAX + 1];
	lookup_name(a, name, sizeof name);
	pthread_mutex_lock(&names.lock);
	names.e[i].addr = a;
	memcpy(names.e[i].name, name, sizeof name);
	pthread_mutex_unlock(&names.lock);
	snprintf(buf, size, "%s", name);
}
