<?php
/**
 * Plugin Name:          Backorder Connector
 * Plugin URI:           https://github.com/backorder-connector/backorder-connector
 * Description:          Opens the backorder connector's app from the WooCommerce menu, shows each product's expected in-stock date (on the page, the add-to-cart button, the cart, checkout and order lines, classic and blocks), and answers WordPress's personal data export and erasure for what the connector holds about a customer.
 * Version:              2.2.0
 * Requires at least:    6.1
 * Requires PHP:         8.0
 * Requires Plugins:     woocommerce
 * WC requires at least: 8.0
 * Author:               Backorder connector
 * License:              GPL-2.0-or-later
 * License URI:          https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:          backorder-connector
 *
 * @package BackorderConnector
 */

defined( 'ABSPATH' ) || exit;

const BACKORDER_CONNECTOR_VERSION = '2.2.0';

require_once __DIR__ . '/includes/connector-client.php';
require_once __DIR__ . '/includes/privacy.php';
require_once __DIR__ . '/includes/admin.php';
require_once __DIR__ . '/includes/storefront-settings.php';
require_once __DIR__ . '/includes/storefront.php';
require_once __DIR__ . '/includes/storefront-blocks.php';
if ( function_exists( 'backorder_connector_in_stock_text' ) ) {
	// The old snippet, as a must-use plugin, already prints the date: say so rather than print it twice.
	add_action( 'admin_notices', 'backorder_connector_old_snippet_notice' );
} else {
	require_once __DIR__ . '/includes/product-date.php';
}

add_action(
	'init',
	function () {
		load_plugin_textdomain( 'backorder-connector', false, dirname( plugin_basename( __FILE__ ) ) . '/languages' );
	}
);

/* The plugin writes order and order item meta only through WooCommerce's objects: compatible with its order tables (HPOS). */
add_action(
	'before_woocommerce_init',
	function () {
		if ( class_exists( \Automattic\WooCommerce\Utilities\FeaturesUtil::class ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', __FILE__, true );
		}
	}
);

add_filter(
	'plugin_action_links_' . plugin_basename( __FILE__ ),
	function ( $links ) {
		$settings = '<a href="' . esc_url( admin_url( 'admin.php?page=' . BACKORDER_CONNECTOR_SETTINGS_PAGE ) ) . '">'
			. esc_html__( 'Settings', 'backorder-connector' ) . '</a>';
		array_unshift( $links, $settings );
		return $links;
	}
);
