/* stb_image with a per-thread allocation bound (see pd_stb.h). */
#include <stdlib.h>
#include "pd_stb.h"

static _Thread_local size_t allocation_limit;
static _Thread_local int allocation_refused;

void pd_stb_limit_allocations(size_t bytes) {
    allocation_limit = bytes;
    allocation_refused = 0;
}

int pd_stb_allocation_refused(void) { return allocation_refused; }

static int refuses(size_t bytes) {
    if (allocation_limit != 0 && bytes > allocation_limit) {
        allocation_refused = 1;
        return 1;
    }
    return 0;
}

static void *bounded_malloc(size_t bytes) { return refuses(bytes) ? NULL : malloc(bytes); }

static void *bounded_realloc(void *pointer, size_t bytes) { return refuses(bytes) ? NULL : realloc(pointer, bytes); }

#define STBI_MALLOC(bytes) bounded_malloc(bytes)
#define STBI_REALLOC(pointer, bytes) bounded_realloc(pointer, bytes)
#define STBI_FREE(pointer) free(pointer)
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
