#ifndef PD_STB_H
#define PD_STB_H

/* stb_image and stb_image_write (the headers of Debian's libstb-dev), compiled here rather than
 * linked from libstb.so so that every allocation stb_image makes goes through a bound this
 * module sets: a file's header fixes how much memory decoding it may take, and a compressed
 * stream that decodes past it (stb's inflate keeps producing output from the zero bits it reads
 * past the end of the data) is refused rather than grown to gigabytes. */

#include <stddef.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

/** Makes stb_image refuse, on the calling thread, any single allocation over `bytes` (0: no
 *  bound), and clears the refusal flag. A refused allocation fails the decode (stb reports
 *  "outofmem"). */
void pd_stb_limit_allocations(size_t bytes);

/** Whether an allocation was refused on the calling thread since the last
 *  `pd_stb_limit_allocations`. */
int pd_stb_allocation_refused(void);

#endif
