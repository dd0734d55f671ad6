<?php
/**
 * The blocks script (assets/ships-by-blocks.js) for WooCommerce's Cart and Checkout blocks, through their
 * integration registry (IntegrationInterface): registered with WordPress's script dependencies for the
 * globals it uses (wc.blocksCheckout, wp.plugins, wp.element), enqueued by WooCommerce where a Cart or
 * Checkout block is on the page. Loaded only when a block registers its integrations, after WooCommerce.
 *
 * @package BackorderConnector
 */

defined( 'ABSPATH' ) || exit;

use Automattic\WooCommerce\Blocks\Integrations\IntegrationInterface;

if ( interface_exists( IntegrationInterface::class ) && ! class_exists( 'Backorder_Connector_Blocks_Integration', false ) ) {
	/** The plugin's integration with the Cart and Checkout blocks. */
	final class Backorder_Connector_Blocks_Integration implements IntegrationInterface {
		/** The integration's name (one per block registry). */
		public function get_name() {
			return BACKORDER_CONNECTOR_BLOCKS_NAMESPACE;
		}

		/** Registers the script; WooCommerce enqueues it with the block. */
		public function initialize() {
			wp_register_script(
				BACKORDER_CONNECTOR_BLOCKS_SCRIPT,
				plugins_url( 'assets/ships-by-blocks.js', dirname( __DIR__ ) . '/backorder-connector.php' ),
				array( 'wc-blocks-checkout', 'wp-plugins', 'wp-element' ),
				BACKORDER_CONNECTOR_VERSION,
				true
			);
		}

		/** Scripts for the shop's pages. */
		public function get_script_handles() {
			return array( BACKORDER_CONNECTOR_BLOCKS_SCRIPT );
		}

		/** Nothing in the editor: the notice depends on a real cart. */
		public function get_editor_script_handles() {
			return array();
		}

		/** No script data: texts come with the cart (Store API), in the customer's language. */
		public function get_script_data() {
			return array();
		}
	}
}
