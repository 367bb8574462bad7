/*
 * Linked only into the Lambda release binary (scripts/package.sh passes this object to the linker).
 *
 * A position-independent executable carries ~49,000 relative relocations (the Swift runtime's metadata, OpenSSL's
 * tables): 1.2 MB of .rela.dyn that the dynamic loader reads once, before main, and nothing reads again. Those pages
 * stay mapped and count in the process's resident memory (VmHWM) for as long as it runs.
 * DT_RELR (`-z pack-relative-relocs`) would shrink the table to a few KB, but needs glibc 2.36 and
 * provided.al2023 has 2.34. So once the loader is done, this constructor hands the table's pages back: MADV_DONTNEED
 * unmaps them (they are clean, read-only file pages: a later read would fault them in again from the file, so
 * nothing can be lost). They stay in the page cache: dropping them there too (POSIX_FADV_DONTNEED) made every
 * later start of the binary read them from disk again, 1.4 ms more per cold start when measured.
 * The link uses -z now, so the PLT relocations are resolved before main as well and are released with the rest.
 *
 *   https://man7.org/linux/man-pages/man2/madvise.2.html  (MADV_DONTNEED on a private file mapping)
 *   https://man7.org/linux/man-pages/man3/dl_iterate_phdr.3.html
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

struct program {
    ElfW(Addr) base;
    const ElfW(Phdr) *headers;
    ElfW(Half) count;
};

/* The main program is the first object dl_iterate_phdr reports. */
static int first_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct program *program = data;
    program->base = info->dlpi_addr;
    program->headers = info->dlpi_phdr;
    program->count = info->dlpi_phnum;
    return 1;
}

/* Unmaps the whole pages of [address, address + size), a link-time range in a read-only segment. */
static void release(const struct program *program, ElfW(Addr) address, ElfW(Xword) size) {
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (ElfW(Half) i = 0; i < program->count; i++) {
        const ElfW(Phdr) *segment = &program->headers[i];
        if (segment->p_type != PT_LOAD || (segment->p_flags & PF_W) || address < segment->p_vaddr ||
            address + size > segment->p_vaddr + segment->p_filesz)
            continue;
        uintptr_t first = (program->base + address + page - 1) & ~(page - 1);
        uintptr_t end = (program->base + address + size) & ~(page - 1);
        if (end <= first) return;
        madvise((void *)first, end - first, MADV_DONTNEED);
        return;
    }
}

__attribute__((constructor(101))) static void release_relocations(void) {
    struct program program = {0, NULL, 0};
    dl_iterate_phdr(first_object, &program);
    const ElfW(Dyn) *dynamic = NULL;
    for (ElfW(Half) i = 0; i < program.count; i++) {
        if (program.headers[i].p_type == PT_DYNAMIC)
            dynamic = (const ElfW(Dyn) *)(program.base + program.headers[i].p_vaddr);
    }
    if (dynamic == NULL) return;
    ElfW(Addr) rela = 0, plt = 0;
    ElfW(Xword) rela_size = 0, plt_size = 0;
    for (const ElfW(Dyn) *entry = dynamic; entry->d_tag != DT_NULL; entry++) {
        switch (entry->d_tag) {
        case DT_RELA: rela = entry->d_un.d_ptr; break;
        case DT_RELASZ: rela_size = entry->d_un.d_val; break;
        case DT_JMPREL: plt = entry->d_un.d_ptr; break;
        case DT_PLTRELSZ: plt_size = entry->d_un.d_val; break;
        }
    }
    /* glibc's loader rewrites these entries to run-time addresses in place
     * (https://sourceware.org/git/?p=glibc.git;a=blob;f=elf/get-dynamic-info.h): accept either form. */
    if (rela >= program.base) rela -= program.base;
    if (plt >= program.base) plt -= program.base;
    /* .rela.plt follows .rela.dyn: one range when they touch, so the page between them goes too. */
    if (plt_size != 0 && plt == rela + rela_size) {
        release(&program, rela, rela_size + plt_size);
    } else {
        if (rela_size != 0) release(&program, rela, rela_size);
        if (plt_size != 0) release(&program, plt, plt_size);
    }
}
