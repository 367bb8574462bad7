/*
 * The yardstick for `make bench`: the smallest honest Lambda custom runtime in C, on the same static libcurl and
 * OpenSSL the zip's binary links (scripts/build-deps.sh). One easy handle kept alive, as the Swift loop keeps one:
 * GET /2018-06-01/runtime/invocation/next, then POST the event body back as the response
 * (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html). It exits when GET next answers other than 200,
 * as the Runtime API contract asks. curl_global_init runs at start-up, as in the Swift binary.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct buffer {
    char *data;
    size_t used, size;
};

static size_t collect(char *data, size_t size, size_t count, void *context) {
    struct buffer *buffer = context;
    size_t n = size * count;
    if (buffer->used + n + 1 > buffer->size) {
        size_t size_needed = (buffer->used + n + 1) * 2;
        char *grown = realloc(buffer->data, size_needed);
        if (!grown) return 0;
        buffer->data = grown;
        buffer->size = size_needed;
    }
    memcpy(buffer->data + buffer->used, data, n);
    buffer->used += n;
    buffer->data[buffer->used] = 0;
    return n;
}

static char request_id[128];

static size_t header(char *data, size_t size, size_t count, void *context) {
    (void)context;
    size_t n = size * count;
    static const char name[] = "lambda-runtime-aws-request-id:";
    if (n > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
        size_t start = sizeof name - 1, end = n;
        while (start < end && (data[start] == ' ' || data[start] == '\t')) start++;
        while (end > start && (data[end - 1] == '\r' || data[end - 1] == '\n' || data[end - 1] == ' ')) end--;
        size_t length = end - start < sizeof request_id - 1 ? end - start : sizeof request_id - 1;
        memcpy(request_id, data + start, length);
        request_id[length] = 0;
    }
    return n;
}

int main(void) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api) return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *handle = curl_easy_init();
    if (!handle) return 1;
    char next_url[512], response_url[768];
    snprintf(next_url, sizeof next_url, "http://%s/2018-06-01/runtime/invocation/next", api);
    struct buffer event = {0};
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    for (;;) {
        event.used = 0;
        request_id[0] = 0;
        curl_easy_reset(handle);
        curl_easy_setopt(handle, CURLOPT_URL, next_url);
        curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(handle, CURLOPT_PROXY, "");
        curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(handle, CURLOPT_WRITEDATA, &event);
        curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, header);
        long status = 0;
        if (curl_easy_perform(handle) != CURLE_OK) break;
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200 || !request_id[0]) break;

        snprintf(response_url, sizeof response_url, "http://%s/2018-06-01/runtime/invocation/%s/response", api,
                 request_id);
        curl_easy_reset(handle);
        curl_easy_setopt(handle, CURLOPT_URL, response_url);
        curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(handle, CURLOPT_PROXY, "");
        curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)event.used);
        curl_easy_setopt(handle, CURLOPT_POSTFIELDS, event.used ? event.data : "");
        curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, collect);
        struct buffer ignored = {0};
        curl_easy_setopt(handle, CURLOPT_WRITEDATA, &ignored);
        CURLcode posted = curl_easy_perform(handle);
        free(ignored.data);
        if (posted != CURLE_OK) break;
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(handle);
    free(event.data);
    return 0;
}
