#include "http/request.h"
#include "base/xalloc.h"
#include "xml/xml_out.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
http_req_free(http_req *req)
{
	free(req->path);
	free(req->query);
	for (int i = 0; i < HTTP_MAX_PATH_PARAMS; i++)
		free(req->params[i]);
	buf_free(&req->body);
	free(req->authorization);
	free(req->api_key);
	free(req->idempotency_key);
	free(req->content_type);
	free(req->client_cert_sha256);
	memset(req, 0, sizeof *req);
}

void
http_resp_init(http_resp *resp)
{
	memset(resp, 0, sizeof *resp);
	buf_init(&resp->body, 0);
	resp->body_fd = -1;
	resp->status = 500;
	resp->content_type = "text/plain; charset=utf-8";
}

void
http_resp_free(http_resp *resp)
{
	buf_free(&resp->body);
	if (resp->body_fd >= 0)
		close(resp->body_fd);
	resp->body_fd = -1;
	free(resp->location);
	free(resp->allow);
	resp->location = NULL;
	resp->allow = NULL;
}

void
http_resp_error(http_resp *resp, int status, const char *code, const char *path,
    const char *fmt, ...)
{
	va_list ap;
	char message[1024];
	size_t len;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);

	xml_out *x = xml_out_new("Error");
	xml_out_elem(x, "Code", code);
	xml_out_elem(x, "Message", message);
	xml_out_elem(x, "Path", path);
	char *doc = xml_out_finish(x, &len);
	http_resp_xml(resp, status, doc, len);
	free(doc);
}

void
http_resp_text(http_resp *resp, int status, const char *text)
{
	buf_reset(&resp->body);
	buf_puts(&resp->body, text);
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
}

void
http_resp_xml(http_resp *resp, int status, const char *xml, size_t len)
{
	buf_reset(&resp->body);
	buf_append(&resp->body, xml, len);
	resp->status = status;
	resp->content_type = "application/xml; charset=utf-8";
}

char *
http_req_query_param(const http_req *req, const char *name)
{
	struct evkeyvalq q;
	char *value = NULL;

	if (req->query == NULL)
		return NULL;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(req->query, &q) == 0) {
		const char *v = evhttp_find_header(&q, name);
		if (v)
			value = xstrdup(v);
	}
	evhttp_clear_headers(&q);
	return value;
}
