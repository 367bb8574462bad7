/*
 * Package-test probe: one HTTPS GET with the exact libcurl + OpenSSL the Lambda binary links (the static archives
 * of scripts/build-deps.sh), linked the way scripts/package.sh links the binary. It sets no CA option, so libcurl
 * uses its compiled-in default, the Amazon Linux bundle /etc/pki/tls/certs/ca-bundle.crt, and always verifies.
 *
 *   curl_probe <url>       prints "status <code> body <first line>" and exits 0 on HTTP 200;
 *                          prints "curl error <code>: <message>" and exits with the CURLcode otherwise.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static char body[256];
static size_t used;

static size_t collect(char *data, size_t size, size_t count, void *context) {
    (void)context;
    size_t n = size * count, room = sizeof body - 1 - used;
    memcpy(body + used, data, n < room ? n : room);
    used += n < room ? n : room;
    return n;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: curl_probe <url>\n");
        return 2;
    }
    char error[CURL_ERROR_SIZE] = "";
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *handle = curl_easy_init();
    if (!handle) return 3;
    curl_easy_setopt(handle, CURLOPT_URL, argv[1]);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(handle, CURLOPT_PROXY, "");
    CURLcode code = curl_easy_perform(handle);
    if (code != CURLE_OK) {
        printf("curl error %d: %s\n", (int)code, error[0] ? error : curl_easy_strerror(code));
        return (int)code;
    }
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    body[strcspn(body, "\r\n")] = 0;
    char *ca = NULL;
#if LIBCURL_VERSION_NUM >= 0x074600
    curl_easy_getinfo(handle, CURLINFO_CAINFO, &ca);
#endif
    printf("status %ld body %s (CA bundle %s, %s)\n", status, body, ca ? ca : "?", curl_version());
    curl_easy_cleanup(handle);
    return status == 200 ? 0 : 1;
}
