#ifndef CJPEG_DECODE_H
#define CJPEG_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* A small C wrapper around libjpeg(-turbo)'s decompressor, so that Swift never sees a longjmp.
 *
 * libjpeg's default error handler calls exit(); these functions install an error manager whose
 * error_exit longjmps back into them, and whose emit_message records warnings instead of printing.
 * Every function returns one of the CJPEG_* status codes below and, on failure, writes a one-line,
 * NUL-terminated description into `message` (at most `message_capacity` bytes, truncated). */

/** Status codes returned by the functions of this header. */
enum {
    CJPEG_OK = 0,
    /** libjpeg refused the data (not a JPEG, corrupt headers or tables, unsupported coding, ...). */
    CJPEG_ERROR = 1,
    /** The data ended before the image did (libjpeg's "Premature end of JPEG file"): Pillow's
     *  "image file is truncated". Other libjpeg warnings (e.g. "Corrupt JPEG data: premature end of
     *  data segment", extraneous bytes) are not errors: Pillow decodes such files too. */
    CJPEG_TRUNCATED = 2,
    /** A JPEG Pillow cannot read either: a component count other than 1, 3 or 4. */
    CJPEG_UNSUPPORTED = 3,
    /** The output buffer is smaller than width * height * 3 bytes. */
    CJPEG_BUFFER_TOO_SMALL = 4,
};

/** What the frame header says, read without decoding any pixel. */
typedef struct {
    int width;
    int height;
    /** Number of colour components in the file: 1 (grayscale), 3 (YCbCr/RGB) or 4 (CMYK/YCCK). */
    int components;
    /** libjpeg's guess at the file's colour space (a J_COLOR_SPACE value). */
    int color_space;
} cjpeg_header;

/** Reads the headers of the JPEG in `data` up to the first scan. */
int cjpeg_read_header(const uint8_t *data, size_t size, cjpeg_header *header,
                      char *message, size_t message_capacity);

/** Decodes the JPEG in `data` into interleaved 8-bit RGB, `width * height * 3` bytes at `rgb`,
 *  with libjpeg's defaults (ISLOW IDCT, fancy upsampling), converting as Pillow's
 *  `Image.open(f).convert("RGB")` does: grayscale is replicated, CMYK/YCCK is read with Adobe's
 *  inverted polarity and mapped with Pillow's cmyk2rgb. */
int cjpeg_decode_rgb(const uint8_t *data, size_t size, uint8_t *rgb, size_t rgb_capacity,
                     char *message, size_t message_capacity);

#endif
