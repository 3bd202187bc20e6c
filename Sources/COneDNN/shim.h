#include <oneapi/dnnl/dnnl.h>

/* oneDNN (Debian libdnnl-dev 2.6) runs on GNU OpenMP; its thread count is OpenMP's. */
void omp_set_num_threads(int count);
int omp_get_max_threads(void);
