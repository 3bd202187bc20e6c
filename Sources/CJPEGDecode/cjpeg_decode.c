#include "cjpeg_decode.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

/* libjpeg error manager that longjmps back into our functions instead of calling exit(). */
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int premature_end; /* JWRN_JPEG_EOF seen: the data ran out */
    char text[JMSG_LENGTH_MAX];
} cjpeg_error_mgr;

static void cjpeg_error_exit(j_common_ptr cinfo) {
    cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->text);
    longjmp(err->jump, 1);
}

static void cjpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
    if (msg_level < 0) { /* a warning; trace messages (level >= 0) are ignored */
        err->pub.num_warnings++;
        if (err->pub.msg_code == JWRN_JPEG_EOF) {
            err->premature_end = 1;
        }
    }
}

static void cjpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void cjpeg_set_message(char *message, size_t capacity, const char *text) {
    if (message && capacity > 0) {
        snprintf(message, capacity, "%s", text);
    }
}

/* After a longjmp: running out of data first is a truncation, anything else libjpeg's error. */
static int cjpeg_failure(const cjpeg_error_mgr *err, char *message, size_t capacity) {
    if (err->premature_end) {
        cjpeg_set_message(message, capacity, "image file is truncated");
        return CJPEG_TRUNCATED;
    }
    cjpeg_set_message(message, capacity, err->text);
    return CJPEG_ERROR;
}

static void cjpeg_init_error(cjpeg_error_mgr *err) {
    memset(err, 0, sizeof(*err));
    jpeg_std_error(&err->pub);
    err->pub.error_exit = cjpeg_error_exit;
    err->pub.emit_message = cjpeg_emit_message;
    err->pub.output_message = cjpeg_output_message;
}

int cjpeg_read_header(const uint8_t *data, size_t size, cjpeg_header *header,
                      char *message, size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    cjpeg_error_mgr err;
    cjpeg_init_error(&err);
    cinfo.err = &err.pub;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return cjpeg_failure(&err, message, message_capacity);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    header->width = (int)cinfo.image_width;
    header->height = (int)cinfo.image_height;
    header->components = cinfo.num_components;
    header->color_space = (int)cinfo.jpeg_color_space;
    int truncated = err.premature_end;
    jpeg_destroy_decompress(&cinfo);
    if (truncated) {
        cjpeg_set_message(message, message_capacity, "image file is truncated");
        return CJPEG_TRUNCATED;
    }
    return CJPEG_OK;
}

/* MULDIV255 and CLIP8 as Pillow's ImagingUtils.h defines them. */
static inline int cjpeg_muldiv255(int a, int b) {
    int tmp = a * b + 128;
    return ((tmp >> 8) + tmp) >> 8;
}

static inline uint8_t cjpeg_clip8(int v) { return v <= 0 ? 0 : v < 256 ? (uint8_t)v : 255; }

int cjpeg_decode_rgb(const uint8_t *data, size_t size, uint8_t *rgb, size_t rgb_capacity,
                     char *message, size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    cjpeg_error_mgr err;
    /* Locals written after setjmp and read after a longjmp must be volatile. */
    uint8_t *volatile row = NULL;
    cjpeg_init_error(&err);
    cinfo.err = &err.pub;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(row);
        return cjpeg_failure(&err, message, message_capacity);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    const int components = cinfo.num_components;
    if (components == 1) {
        cinfo.out_color_space = JCS_GRAYSCALE;
    } else if (components == 3) {
        cinfo.out_color_space = JCS_RGB;
    } else if (components == 4) {
        cinfo.out_color_space = JCS_CMYK; /* libjpeg turns YCCK into CMYK */
    } else {
        char text[80];
        snprintf(text, sizeof text, "cannot handle %d-layer images", components);
        jpeg_destroy_decompress(&cinfo);
        cjpeg_set_message(message, message_capacity, text);
        return CJPEG_UNSUPPORTED;
    }

    jpeg_start_decompress(&cinfo);
    const size_t width = cinfo.output_width;
    const size_t height = cinfo.output_height;
    const size_t channels = (size_t)cinfo.output_components;
    if (rgb_capacity / 3 / (width ? width : 1) < height) {
        jpeg_destroy_decompress(&cinfo);
        cjpeg_set_message(message, message_capacity, "output buffer too small");
        return CJPEG_BUFFER_TOO_SMALL;
    }
    if (channels != 3) {
        row = (uint8_t *)malloc(width * channels);
        if (!row) {
            jpeg_destroy_decompress(&cinfo);
            cjpeg_set_message(message, message_capacity, "out of memory");
            return CJPEG_ERROR;
        }
    }

    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *out = rgb + (size_t)cinfo.output_scanline * width * 3;
        JSAMPROW target = channels == 3 ? out : row;
        if (jpeg_read_scanlines(&cinfo, &target, 1) != 1) {
            break; /* cannot happen with a memory source (it never suspends) */
        }
        if (channels == 1) {
            for (size_t x = 0; x < width; x++) {
                out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = row[x];
            }
        } else if (channels == 4) {
            /* Pillow reads CMYK JPEGs as "CMYK;I" (Adobe polarity: inverted), then cmyk2rgb. */
            for (size_t x = 0; x < width; x++) {
                const uint8_t *p = row + 4 * x;
                int nk = p[3]; /* 255 - (255 - k) */
                for (int c = 0; c < 3; c++) {
                    out[3 * x + c] = cjpeg_clip8(nk - cjpeg_muldiv255(255 - p[c], nk));
                }
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    int truncated = err.premature_end;
    jpeg_destroy_decompress(&cinfo);
    free(row);
    if (truncated) {
        cjpeg_set_message(message, message_capacity, "image file is truncated");
        return CJPEG_TRUNCATED;
    }
    return CJPEG_OK;
}
