/* image_input.h - the image input of the classification examples
   (mobilenet.c, vit.c), as torchvision's ImageNet transform: a binary PPM/PGM
   or raw 8-bit pixels -> [224, 224, 3] float NHWC. Include after <stdio.h>,
   <stdlib.h> and <math.h>. */

/* Raw 8-bit pixels (rows of w pixels, ch = 3 for RGB or 1 for grey) ->
   [224, 224, 3] float NHWC: shorter side resized to 256 (bilinear, sampling
   the source directly), centre crop 224, ImageNet mean/std. 0 on success. */
static int preprocess(const unsigned char *px, int w, int h, int ch, float *out) {
    static const float mean[3] = { 0.485f, 0.456f, 0.406f }, stdv[3] = { 0.229f, 0.224f, 0.225f };
    float scale, ox, oy;
    int x, y, c;
    if (!px || w < 1 || h < 1 || (ch != 1 && ch != 3)) return 1;
    scale = (float)(w < h ? w : h) / 256.0f;
    ox = ((float)w / scale - 224.0f) * 0.5f; oy = ((float)h / scale - 224.0f) * 0.5f;
    for (y = 0; y < 224; y++) for (x = 0; x < 224; x++) {
        float sx = ((float)x + ox + 0.5f) * scale - 0.5f, sy = ((float)y + oy + 0.5f) * scale - 0.5f;
        int x0 = (int)floorf(sx), y0 = (int)floorf(sy);
        float fx = sx - (float)x0, fy = sy - (float)y0;
        for (c = 0; c < 3; c++) {
            int cc = ch == 3 ? c : 0, i;
            float v = 0.0f;
            for (i = 0; i < 4; i++) {
                int xi = x0 + (i & 1), yi = y0 + (i >> 1);
                float wgt = ((i & 1) ? fx : 1.0f - fx) * ((i >> 1) ? fy : 1.0f - fy);
                xi = xi < 0 ? 0 : xi >= w ? w - 1 : xi; yi = yi < 0 ? 0 : yi >= h ? h - 1 : yi;
                v += wgt * (float)px[((size_t)yi * w + xi) * ch + cc];
            }
            out[((size_t)y * 224 + x) * 3 + c] = (v / 255.0f - mean[c]) / stdv[c];
        }
    }
    return 0;
}

static int read_int(FILE *f) {
    int c, v = 0;
    while ((c = fgetc(f)) != EOF && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#'))
        if (c == '#') while ((c = fgetc(f)) != EOF && c != '\n') {}
    if (c < '0' || c > '9') return -1;
    for (; c >= '0' && c <= '9'; c = fgetc(f)) { if (v > 100000) return -1; v = v * 10 + (c - '0'); }
    return v;
}

/* Binary PPM (P6) or PGM (P5), maxval 255 -> preprocess(). 0 on success. */
static int load_image(const char *path, float *out) {
    FILE *f = fopen(path, "rb");
    int ch, w, h, maxv, bad;
    unsigned char *px;
    if (!f) { fprintf(stderr, "error: cannot open %s\n", path); return 1; }
    if (fgetc(f) != 'P' || ((ch = fgetc(f)) != '6' && ch != '5')) { fprintf(stderr, "error: %s is not a binary PPM/PGM\n", path); fclose(f); return 1; }
    ch = ch == '6' ? 3 : 1;
    w = read_int(f); h = read_int(f); maxv = read_int(f);
    if (w < 1 || h < 1 || maxv != 255) { fprintf(stderr, "error: %s: unsupported size or depth (need maxval 255)\n", path); fclose(f); return 1; }
    px = (unsigned char *)malloc((size_t)w * h * ch);
    if (!px || fread(px, 1, (size_t)w * h * ch, f) != (size_t)w * h * ch) { fprintf(stderr, "error: %s is truncated\n", path); free(px); fclose(f); return 1; }
    fclose(f);
    bad = preprocess(px, w, h, ch, out);
    free(px);
    return bad;
}
