/* model_data.c - the model's safetensors bytes, compiled in as a const
   array (kws_model.h, made by tools/st2c from kws.safetensors). Kept in its
   own translation unit so that size.sh can tell the weights from the code:
   with -fdata-sections the array is the section .rodata.kws_model. */
#include "kws_model.h"

const unsigned char *kws_model_bytes(size_t *size);

const unsigned char *kws_model_bytes(size_t *size) {
    *size = kws_model_size;
    return kws_model;
}
