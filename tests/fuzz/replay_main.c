/*
 * main() for fuzz targets built without libFuzzer (e.g. with gcc): runs the
 * target once on each file named on the command line, so corpora and crash
 * reproducers can be replayed under any compiler and sanitizer.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

#define REPLAY_MAX_INPUT (64 * 1024 * 1024)

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return -1;
    }
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            if (cap >= REPLAY_MAX_INPUT) {
                fprintf(stderr, "%s: larger than %d bytes\n", path, REPLAY_MAX_INPUT);
                free(buf);
                fclose(f);
                return -1;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        fprintf(stderr, "%s: read error\n", path);
        free(buf);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int failed = 0;
    for (int i = 1; i < argc; i++)
        if (replay_file(argv[i]) < 0)
            failed = 1;
    printf("replayed %d input(s)\n", argc - 1 - failed);
    return failed;
}
