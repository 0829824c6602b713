"""/api/docs works in a lab without internet: Swagger UI's page names no other
host, and its assets come from the controller itself."""

import re

ASSET_REFERENCE = re.compile(r'(?:src|href)="([^"]+)"')
ABSOLUTE_URL = re.compile(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)


def test_api_docs_names_no_external_host(client):
    page = client.get("/api/docs")

    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "swagger-ui-bundle.js" in html
    assert not ABSOLUTE_URL.search(html), ABSOLUTE_URL.findall(html)
    assert '"validatorUrl": null' in html  # no badge fetched from the public validator


def test_api_docs_assets_load_from_the_controller(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assets = ASSET_REFERENCE.findall(html)

    assert {asset.rsplit("/", 1)[1] for asset in assets} >= {
        "swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"}
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.get_data()) > 10_000, asset
        assert response.mimetype in ("text/css", "text/javascript", "application/javascript"), asset


def test_a_missing_docs_asset_is_a_json_404(client):
    response = client.get("/api/docs/assets/../../config.py")

    assert response.status_code == 404
    assert set(response.get_json()) == {"error", "message", "details"}
