<?php
/**
 * Deleting the plugin forgets its settings (the connector URL, the store secret, the storefront texts).
 *
 * The in-stock dates on products are the connector's (it writes and removes them through the REST
 * API); they stay until the store is disconnected from the connector.
 *
 * @package BackorderConnector
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'backorder_connector_url' );
delete_option( 'backorder_connector_secret' );
delete_option( 'backorder_connector_storefront' );
