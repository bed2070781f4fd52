/* Identity, plugins and dealers: the administration API. */
#include "http/routes.h"
#include "http/server.h"
#include "plugin/registry.h"
#include "storage/audit.h"
#include "storage/dealers.h"
#include "xml/xml_in.h"
#include "xml/xml_out.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

static void
send_doc(http_resp *resp, int status, xml_out *x)
{
	size_t len;
	char *doc = xml_out_finish(x, &len);

	http_resp_xml(resp, status, doc, len);
	free(doc);
}

void
route_whoami(route_env *env, http_req *req, http_resp *resp)
{
	xml_out *x = xml_out_new("Principal");

	if (req->who.key_id[0] != '\0')
		xml_out_elem(x, "KeyId", req->who.key_id);
	xml_out_elem(x, "Role", role_name(req->who.role));
	if (req->who.role == ROLE_DEALER)
		xml_out_elem(x, "DealerId", req->who.dealer_id);
	xml_out_elem(x, "AuthenticatedBy", req->who.key_id[0] == '\0' ? "certificate" :
	    req->who.cert_sha256[0] != '\0' ? "key+certificate" : "key");
	if (req->who.cert_sha256[0] != '\0')
		xml_out_elem(x, "CertificateSha256", req->who.cert_sha256);
	send_doc(resp, 200, x);
}

void
route_plugins(route_env *env, http_req *req, http_resp *resp)
{
	xml_out *x = xml_out_new("Plugins");
	size_t n = plugin_set_count(env->plugins);

	for (size_t i = 0; i < n; i++) {
		const loaded_plugin *p = plugin_set_get(env->plugins, i);
		xml_out_start(x, "Plugin");
		xml_out_elem(x, "Name", p->ctx.name);
		xml_out_elem(x, "Version", p->desc->version);
		xml_out_elem(x, "Kind", plugin_kind_name(p->desc->kind));
		xml_out_elemf(x, "Abi", "%u.%u", (unsigned)p->desc->abi_major,
		    (unsigned)p->desc->abi_minor);
		xml_out_elem(x, "Sha256", p->sha256);
		xml_out_end(x);
	}
	send_doc(resp, 200, x);
}

static void
dealer_doc(http_resp *resp, int status, const dealer *d)
{
	xml_out *x = xml_out_new("Dealer");

	xml_out_elem(x, "Id", d->id);
	xml_out_elem(x, "Name", d->name);
	xml_out_elem(x, "AuthMode", d->auth_mode);
	send_doc(resp, status, x);
}

/* POST /v1/dealers: <Dealer><Id/><Name/>[<AuthMode/>][<Billing>Street, City,
 * PostalCode, Country, VatId, Email (each optional)</Billing>]</Dealer> */
void
route_dealer_create(route_env *env, http_req *req, http_resp *resp)
{
	const config *cfg = env->srv->cfg;
	xml_limits limits = { cfg->max_body, cfg->max_xml_depth };
	xml_problem problem;
	xmlDocPtr doc = xml_parse_untrusted(req->body.data, req->body.len, &limits, &problem);
	char err[256], actor[PRINCIPAL_ACTOR_MAX];
	buf detail;

	buf_init(&detail, 0);
	if (doc == NULL) {
		http_resp_error(resp, 400, problem.code, problem.path, "%s", problem.message);
		goto out;
	}
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (root == NULL || strcmp((const char *)root->name, "Dealer") != 0 || root->ns == NULL ||
	    strcmp((const char *)root->ns->href, CD_XML_NS) != 0) {
		http_resp_error(resp, 400, "unexpected-document", "/",
		    "expected a Dealer element in namespace %s", CD_XML_NS);
		goto out;
	}
	const char *id = xml_child_text(root, "Id");
	const char *name = xml_child_text(root, "Name");
	const char *mode = xml_child_text(root, "AuthMode");
	if (id == NULL || !dealer_id_valid(id)) {
		http_resp_error(resp, 400, "invalid-dealer-id", "/Dealer/Id",
		    "Id must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'");
		goto out;
	}
	if (name == NULL || name[0] == '\0' || strlen(name) > 200) {
		http_resp_error(resp, 400, "invalid-dealer-name", "/Dealer/Name",
		    "Name is required and at most 200 characters");
		goto out;
	}
	dealer d = { 0 };
	dealer_billing billing = { 0 };
	xmlNodePtr bel = xml_child(root, "Billing");
	if (bel != NULL) {
		static const struct {
			const char *name;
			size_t off, size;
		} fields[] = {
#define F(n, f) { n, offsetof(dealer_billing, f), sizeof(((dealer_billing *)0)->f) }
			F("Street", street), F("City", city), F("PostalCode", postal_code),
			F("Country", country), F("VatId", vat_id), F("Email", email),
#undef F
		};
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
			const char *v = xml_child_text(bel, fields[i].name);
			if (v != NULL && strlen(v) >= fields[i].size) {
				http_resp_error(resp, 400, "invalid-dealer-billing", "/Dealer/Billing",
				    "%s is too long", fields[i].name);
				goto out;
			}
			if (v != NULL)
				memcpy((char *)&billing + fields[i].off, v, strlen(v) + 1);
		}
		if (!dealer_billing_valid(&billing, err, sizeof err)) {
			http_resp_error(resp, 400, "invalid-dealer-billing", "/Dealer/Billing", "%s", err);
			goto out;
		}
	}
	switch (dealer_create(env->db, id, name, mode ? mode : "key", err, sizeof err)) {
	case 0:
		break;
	case DEALER_EXISTS:
		http_resp_error(resp, 409, "dealer-exists", "/Dealer/Id", "dealer %s already exists", id);
		goto out;
	case DEALER_INVALID:
		http_resp_error(resp, 400, "invalid-dealer", "/Dealer", "%s", err);
		goto out;
	default:
		http_resp_error(resp, 503, "database-unavailable", NULL, "%s", err);
		goto out;
	}
	if ((bel != NULL && dealer_set_billing(env->db, id, &billing, err, sizeof err) != 0) ||
	    dealer_get(env->db, id, &d, err, sizeof err) != 1) {
		http_resp_error(resp, 503, "database-unavailable", NULL, "%s", err);
		goto out;
	}
	/* Last, so the chain head stays locked only until the commit. */
	audit_detail_add(&detail, "name", d.name);
	audit_detail_add(&detail, "auth", d.auth_mode);
	if (billing.country[0] != '\0')
		audit_detail_add(&detail, "country", billing.country);
	if (billing.vat_id[0] != '\0')
		audit_detail_add(&detail, "vat_id", billing.vat_id);
	if (audit_append(env->db, principal_actor(&req->who, actor, sizeof actor), "dealer.create",
	    "dealer", d.id, detail.data, err, sizeof err) != 0) {
		http_resp_error(resp, 503, "database-unavailable", NULL, "%s", err);
		goto out;
	}
	resp->location = xasprintf("/v1/dealers/%s", id);
	dealer_doc(resp, 201, &d);
out:
	buf_free(&detail);
	if (doc != NULL)
		xmlFreeDoc(doc);
}

void
route_dealer_get(route_env *env, http_req *req, http_resp *resp)
{
	dealer d = { 0 };
	char err[256];

	switch (dealer_get(env->db, req->params[0], &d, err, sizeof err)) {
	case 1:
		dealer_doc(resp, 200, &d);
		return;
	case 0:
		http_resp_error(resp, 404, "not-found", NULL, "no dealer %s", req->params[0]);
		return;
	default:
		http_resp_error(resp, 503, "database-unavailable", NULL, "%s", err);
	}
}
