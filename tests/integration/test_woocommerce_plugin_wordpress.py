"""The plugin on a real WordPress (Debian's ``wordpress`` package, MariaDB on the machine): .ci/run
installs WordPress and PHP's MySQL driver and starts MariaDB; elsewhere the test is skipped, with the
reason, when WordPress, the driver or a MariaDB we may create a database in is missing, and with
CI=true that is a failure. WooCommerce is not packaged by Debian, so the product-page date is not
tried here (tests/unit/test_woocommerce_plugin.py covers it on stand-ins).

WordPress boots from /usr/share/wordpress with our own configuration (tests/support/wordpress_boot.php:
a throwaway database, wp-content in tmp with the plugin linked in), is installed, the plugin activated
through WordPress, and its exporter, eraser and menu item run against the connector on loopback."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.serve import ServerHandle, serve_in_thread
from tests.conftest import unavailable
from tests.support.webapp import STORE, WOO_SECRET, WebApp, make_webapp
from tests.support.wordpress_plugin import PLUGIN, customer_order

WORDPRESS = Path("/usr/share/wordpress")
BOOT = Path(__file__).parents[1] / "support" / "wordpress_boot.php"
pytestmark = [pytest.mark.slow]


def _wordpress() -> tuple[str, str]:
    php, mysql = shutil.which("php"), shutil.which("mysql")
    if php is None or not (WORDPRESS / "wp-settings.php").exists():
        unavailable("WordPress is not installed (apt-get install wordpress php-mysql; .ci/run installs it)")
    if "mysqli" not in subprocess.run([php, "-m"], capture_output=True, text=True).stdout:
        unavailable("PHP's MySQL driver is not installed (apt-get install php-mysql; .ci/run installs it)")
    if mysql is None:
        unavailable("no MariaDB/MySQL client (apt-get install mariadb-server; .ci/run installs it)")
    return php, mysql


@pytest.fixture
def wordpress(tmp_path: Path) -> Iterator[dict[str, Any]]:
    php, mysql = _wordpress()
    name = f"wp_test_{secrets.token_hex(4)}"
    password = secrets.token_hex(12)
    made = subprocess.run([mysql, "-uroot", "-e", f"CREATE DATABASE {name}; CREATE USER '{name}'@'localhost' "
                           f"IDENTIFIED BY '{password}'; GRANT ALL ON {name}.* TO '{name}'@'localhost';"],
                          capture_output=True, text=True)
    if made.returncode != 0:
        unavailable(f"cannot create a MariaDB database as root: {made.stderr.strip()[:200]}")
    plugins = tmp_path / "content" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "backorder-connector").symlink_to(PLUGIN)
    config = {"db": name, "user": name, "password": password, "content": str(tmp_path / "content"), "home": STORE}
    try:
        yield {"php": php, "config": config, "dir": tmp_path}
    finally:
        drop = f"DROP DATABASE IF EXISTS {name}; DROP USER IF EXISTS '{name}'@'localhost';"
        subprocess.run([mysql, "-uroot", "-e", drop], capture_output=True)


def run_wordpress(wp: dict[str, Any], body: str, **config: Any) -> Any:
    script = wp["dir"] / f"case-{secrets.token_hex(3)}.php"
    script.write_text(f"<?php\nrequire {json.dumps(str(BOOT))};\n{body}\n")
    run = subprocess.run([wp["php"], "-d", "error_reporting=E_ALL & ~E_DEPRECATED", "-d", "display_errors=stderr",
                          str(script)], capture_output=True, text=True, timeout=120,
                         env={"WP_TEST_CONFIG": json.dumps({**wp["config"], **config}), "PATH": "/usr/bin:/bin"})
    # WordPress 6.1's own deprecations on PHP 8.2 (printed, so a redirect finds the headers sent) and the
    # missing sendmail are not the plugin's
    errors = [line for line in run.stderr.splitlines() if "sendmail" not in line
              and not (line.startswith("PHP Deprecated") and "in /usr/share/wordpress/" in line)
              and "headers already sent by (output started at /usr/share/wordpress/wp-includes/Requests" not in line]
    assert run.returncode == 0 and not errors, run.stdout + run.stderr
    answers = [line for line in run.stdout.splitlines() if line[:1] in ('{', '"')]
    assert answers, run.stdout + run.stderr
    return json.loads(answers[-1])


INSTALL = """require_once ABSPATH . 'wp-admin/includes/upgrade.php';
wp_install( 'Tea', 'admin', 'admin@tea.example', false, '', 'pw-123456' );
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$r = activate_plugin( 'backorder-connector/backorder-connector.php' );
echo json_encode( is_wp_error( $r ) ? $r->get_error_message() : 'active' );"""


@pytest.fixture
def live(database_url: str) -> Iterator[tuple[WebApp, ServerHandle]]:
    web = make_webapp(database_url)
    server = serve_in_thread(web.app)
    web.container.settings = web.container.settings.with_overrides(app_url=server.url)
    yield web, server
    server.stop()


def test_the_plugin_works_on_a_real_wordpress_against_the_connector(
        wordpress: dict[str, Any], live: tuple[WebApp, ServerHandle]) -> None:
    web, server = live
    assert run_wordpress(wordpress, INSTALL, installing=True) == "active"
    customer_order(web.container, web.store_id, "john@example.com", 951)
    # WooCommerce gives administrators manage_woocommerce when it installs; it is not installed here
    setup = f"""get_role( 'administrator' )->add_cap( 'manage_woocommerce' ); wp_set_current_user( 1 );
        update_option( 'backorder_connector_url', '{server.url}' );
        update_option( 'backorder_connector_secret', '{WOO_SECRET}' );"""
    privacy = run_wordpress(wordpress, setup + """
        $exporters = apply_filters( 'wp_privacy_personal_data_exporters', array() );
        $erasers = apply_filters( 'wp_privacy_personal_data_erasers', array() );
        $export = call_user_func( $exporters['backorder-connector']['callback'], 'john@example.com', 1 );
        $erase = call_user_func( $erasers['backorder-connector']['callback'], 'john@example.com', 1 );
        echo json_encode( array( 'exporters' => array_keys( $exporters ), 'export' => $export,
                                 'erase' => $erase ) );""")
    assert "backorder-connector" in privacy["exporters"] and "wordpress-user" in privacy["exporters"]
    assert privacy["export"]["done"] is True
    assert privacy["export"]["data"][0]["group_id"] == "backorder-connector-orders"
    assert privacy["erase"]["items_removed"] is True and privacy["erase"]["done"] is True
    menu = run_wordpress(wordpress, setup + """
        require_once ABSPATH . 'wp-admin/includes/plugin.php';
        do_action( 'admin_menu' );
        global $submenu;
        $hook = get_plugin_page_hook( 'backorder-connector', 'woocommerce' );
        add_filter( 'wp_redirect', function ( $location, $status ) use ( $submenu ) {
            echo "\\n" . json_encode( array( 'redirect' => $location, 'status' => $status,
                'menu' => array_column( $submenu['woocommerce'] ?? array(), 1, 2 ) ) ) . "\\n";
            return $location;
        }, 10, 2 );
        do_action( 'load-' . $hook );
        echo json_encode( array( 'redirect' => null ) );""", admin=True)
    assert menu["status"] == 303 and menu["redirect"].startswith(f"{server.url}/app/woocommerce/enter?store=")
    assert menu["menu"] == {"backorder-connector": "manage_woocommerce",
                            "backorder-connector-settings": "manage_woocommerce"}
