<?php
/**
 * "Expected in stock: <date>" on product pages.
 *
 * The connector writes each SKU's expected in-stock date as product meta (simple products) or
 * variation meta (variable products), key _backorder_in_stock_date, an ISO date such as 2026-12-05,
 * and deletes it when there is no date any more. It is shown in the site's language and date
 * format (Settings > General). Two filters let the merchant change it:
 *
 * - backorder_connector_date_format ( $format, $product ): the PHP date format (default: the site's);
 * - backorder_connector_in_stock_text ( $text, $date, $iso, $product ): the whole sentence; '' hides it.
 *
 * The text is escaped when printed (esc_html), whatever a filter returns.
 *
 * @package BackorderConnector
 */

defined( 'ABSPATH' ) || exit;

const BACKORDER_CONNECTOR_META = '_backorder_in_stock_date';

/**
 * The product's (or variation's) expected in-stock sentence, or '' when it has no valid date.
 *
 * @param mixed $product A WC_Product (simple product or variation).
 */
function backorder_connector_in_stock_text( $product ): string {
	if ( ! $product instanceof WC_Product ) {
		return '';
	}
	$iso = $product->get_meta( BACKORDER_CONNECTOR_META, true );
	if ( ! is_string( $iso ) || ! preg_match( '/^\d{4}-\d{2}-\d{2}$/', $iso ) ) {
		return '';
	}
	$day = DateTimeImmutable::createFromFormat( '!Y-m-d', $iso, new DateTimeZone( 'UTC' ) );
	if ( false === $day || $day->format( 'Y-m-d' ) !== $iso ) {
		return ''; // not a calendar day, such as 2026-02-30
	}
	$format = (string) apply_filters( 'backorder_connector_date_format', get_option( 'date_format' ), $product );
	// The day itself, in UTC: the site's time zone must not move it to the day before or after.
	$date = wp_date( $format, $day->getTimestamp(), new DateTimeZone( 'UTC' ) );
	/* translators: %s: a date in the site's format */
	$text = sprintf( __( 'Expected in stock: %s', 'backorder-connector' ), $date );
	return (string) apply_filters( 'backorder_connector_in_stock_text', $text, $date, $iso, $product );
}

/** The paragraph printed for a product, or ''. */
function backorder_connector_in_stock_html( $product ): string {
	$text = backorder_connector_in_stock_text( $product );
	return '' === $text ? '' : '<p class="backorder-in-stock-date">' . esc_html( $text ) . '</p>';
}

/* Simple products: below the price on the single product page. */
add_action(
	'woocommerce_single_product_summary',
	function () {
		global $product;
		if ( $product instanceof WC_Product && ! $product->is_type( 'variable' ) ) {
			echo backorder_connector_in_stock_html( $product ); // phpcs:ignore WordPress.Security.EscapeOutput -- escaped in backorder_connector_in_stock_html
		}
	},
	25
);

/* Variations: WooCommerce shows availability_html when a variation is chosen; the date goes after it. */
add_filter(
	'woocommerce_available_variation',
	function ( $data, $product, $variation ) {
		$data['availability_html'] = ( $data['availability_html'] ?? '' ) . backorder_connector_in_stock_html( $variation );
		return $data;
	},
	10,
	3
);
