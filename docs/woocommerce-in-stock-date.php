<?php
/**
 * Plugin Name: Backorder connector - expected in-stock date
 * Description: Shows "Expected in stock: <date>" on product pages from the _backorder_in_stock_date meta
 *              that the backorder connector writes on products and variations (ISO date, e.g. 2026-12-05).
 * Version: 1.0.0
 *
 * Install: copy to wp-content/mu-plugins/ (or add to a child theme's functions.php). See docs/woocommerce-snippet.md.
 */

defined( 'ABSPATH' ) || exit;

const BACKORDER_CONNECTOR_META = '_backorder_in_stock_date';

/** The product's (or variation's) expected in-stock date, formatted with the site's date format, or ''. */
function backorder_connector_in_stock_text( $product ) {
	if ( ! $product instanceof WC_Product ) {
		return '';
	}
	$iso = $product->get_meta( BACKORDER_CONNECTOR_META, true );
	if ( ! is_string( $iso ) || ! preg_match( '/^\d{4}-\d{2}-\d{2}$/', $iso ) ) {
		return '';
	}
	$timestamp = strtotime( $iso . ' 12:00:00 UTC' );
	if ( false === $timestamp ) {
		return '';
	}
	/* translators: %s: a date */
	return sprintf( __( 'Expected in stock: %s', 'backorder-connector' ), date_i18n( get_option( 'date_format' ), $timestamp ) );
}

/* Simple products: below the price on the single product page. */
add_action( 'woocommerce_single_product_summary', function () {
	global $product;
	if ( $product && ! $product->is_type( 'variable' ) ) {
		$text = backorder_connector_in_stock_text( $product );
		if ( '' !== $text ) {
			echo '<p class="backorder-in-stock-date">' . esc_html( $text ) . '</p>';
		}
	}
}, 25 );

/* Variations: WooCommerce shows availability_html when a variation is chosen; append the date there. */
add_filter( 'woocommerce_available_variation', function ( $data, $product, $variation ) {
	$text = backorder_connector_in_stock_text( $variation );
	if ( '' !== $text ) {
		$data['availability_html'] .= '<p class="backorder-in-stock-date">' . esc_html( $text ) . '</p>';
	}
	return $data;
}, 10, 3 );
