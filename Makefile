# vitrine — the two commands a fresh machine needs (see README.md):
#   make dev   set up, build, publish the demo campaign to local KV, run the demo shop
#   make test  set up, build, run every test (unit, golden, property, end to end, browser)
.PHONY: dev test setup build demo-keys bench

DEMO_KEYS = demo:ZGVtby1rZXktZm9yLWxvY2FsLXRlc3RzLW9ubHktMzJieXRlcyE
DEMO_ACTIVITY_KEYS = demo-act:ZGVtby1hY3Rpdml0eS1rZXktbG9jYWwtdGVzdHMtb25seSE
DEMO_PREVIEW_KEYS = demo-preview:ZGVtby1wcmV2aWV3LWtleS1sb2NhbC10ZXN0cy1vbmx5IQ

setup:
	sh scripts/bootstrap.sh

build: setup
	sh scripts/build.sh

# Local-only key rings for the demo (never used in production); rewritten when this file changes.
.dev.vars: Makefile
	printf 'VITRINE_COOKIE_KEYS=%s\nVITRINE_ACTIVITY_KEYS=%s\nVITRINE_PREVIEW_KEYS=%s\n' '$(DEMO_KEYS)' '$(DEMO_ACTIVITY_KEYS)' '$(DEMO_PREVIEW_KEYS)' > .dev.vars

dev: build .dev.vars
	cargo run --quiet -p vitrine-cli -- publish --local fixtures/campaigns/shop.toml
	@echo "Demo shop: http://127.0.0.1:$${PORT:-8787}/__vitrine/demo"
	@echo "Studio (edit, compare personas, publish): in another terminal run"
	@echo "  cargo run -p vitrine-cli -- studio fixtures/campaigns/shop.toml --pages fixtures/site"
	@echo "  then open http://127.0.0.1:7878/campaigns"
	VITRINE_SKIP_BUILD=1 npx --no-install wrangler dev --ip 127.0.0.1 --port $${PORT:-8787}

# Everything Cargo alone can run (unit, golden, property, CLI, doc tests), then the external
# group: the Worker under `wrangler dev`, headless Chromium, other languages' JWT libraries.
test: build
	sh scripts/browser-deps.sh
	cargo test --workspace --all-targets
	cargo test --workspace --doc
	cargo build -p vitrine-cli
	cargo test -p vitrine --features external --test e2e --test browser --test interop --test sql

bench: build
	cargo bench -p vitrine --bench core
	sh benches/workerd/run.sh
