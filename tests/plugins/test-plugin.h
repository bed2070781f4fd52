/* test-plugin.h — what the deliberately broken test plugins share.
 *
 * Each broken plugin is correct except for the one defect its file is
 * named after, so a refusal can only be for that defect. They are built
 * during `make check` only, never installed. */
#ifndef CD_TEST_PLUGIN_H
#define CD_TEST_PLUGIN_H

#include <contractd/plugin.h>

/* A quote that would work, for plugins whose defect lies elsewhere. */
static cd_status __attribute__((unused))
stub_quote(void *state, const cd_pricing_request *req, cd_pricing_result *out, cd_error *err)
{
	(void)state;
	(void)err;
	out->retail_price = req->purchase_price / 10;
	out->dealer_cost = out->retail_price;
	out->claims_reserve = out->retail_price;
	return CD_OK;
}

static const cd_pricing_ops stub_pricing_ops __attribute__((unused)) = {
	CD_OPS_HEADER(cd_pricing_ops),
	.quote = stub_quote,
};

#endif
