<?php
/**
 * Signed requests to the backorder connector.
 *
 * Every request is a JSON POST whose body names this store (home_url, as WooCommerce's webhooks
 * name it in X-WC-Webhook-Source), the time and a random nonce, signed with the store secret:
 * X-Connector-Signature = base64( HMAC-SHA256( raw body, store secret ) ). The connector refuses a
 * body older than five minutes or seen before.
 *
 * @package BackorderConnector
 */

defined( 'ABSPATH' ) || exit;

const BACKORDER_CONNECTOR_OPTION_URL    = 'backorder_connector_url';
const BACKORDER_CONNECTOR_OPTION_SECRET = 'backorder_connector_secret';

/** The connector's address as set in the settings, without a trailing slash, or ''. */
function backorder_connector_url(): string {
	$url = get_option( BACKORDER_CONNECTOR_OPTION_URL, '' );
	return is_string( $url ) ? untrailingslashit( trim( $url ) ) : '';
}

/** The store secret the connector issued for this store, or ''. */
function backorder_connector_secret(): string {
	$secret = get_option( BACKORDER_CONNECTOR_OPTION_SECRET, '' );
	return is_string( $secret ) ? trim( $secret ) : '';
}

/**
 * POST $fields to the connector at $path, signed with the store secret.
 *
 * @param string $path   Path on the connector, e.g. /app/woocommerce/link.
 * @param array  $fields Fields of the JSON body (store_url, timestamp and nonce are added).
 * @return array|WP_Error The decoded JSON answer (HTTP 200), or why there is none.
 */
function backorder_connector_request( string $path, array $fields ) {
	$url    = backorder_connector_url();
	$secret = backorder_connector_secret();
	if ( '' === $url || '' === $secret ) {
		return new WP_Error(
			'backorder_connector_not_configured',
			__( 'The backorder connector is not set up yet: enter its URL and the store secret under WooCommerce > Backorder connector.', 'backorder-connector' )
		);
	}
	$body      = wp_json_encode(
		array_merge(
			$fields,
			array(
				'store_url' => home_url( '/' ),
				'timestamp' => time(),
				'nonce'     => bin2hex( random_bytes( 8 ) ),
			)
		)
	);
	$signature = base64_encode( hash_hmac( 'sha256', $body, $secret, true ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
	$response  = wp_remote_post(
		$url . $path,
		array(
			'timeout'     => 20,
			'redirection' => 0,
			'headers'     => array(
				'Content-Type'          => 'application/json',
				'X-Connector-Signature' => $signature,
			),
			'body'        => $body,
		)
	);
	if ( is_wp_error( $response ) ) {
		return new WP_Error(
			'backorder_connector_unreachable',
			/* translators: 1: the connector's URL, 2: the error */
			sprintf( __( 'The backorder connector at %1$s could not be reached: %2$s', 'backorder-connector' ), $url, $response->get_error_message() )
		);
	}
	$code   = (int) wp_remote_retrieve_response_code( $response );
	$answer = json_decode( (string) wp_remote_retrieve_body( $response ), true );
	if ( 200 === $code && is_array( $answer ) ) {
		return $answer;
	}
	$reason = is_array( $answer ) && isset( $answer['error'] ) && is_string( $answer['error'] ) ? $answer['error'] : '';
	if ( 401 === $code ) {
		return new WP_Error(
			'backorder_connector_refused',
			/* translators: %s: the connector's reason */
			sprintf( __( 'The backorder connector refused the request (%s). Check the store secret under WooCommerce > Backorder connector, and that this site\'s clock is right.', 'backorder-connector' ), $reason )
		);
	}
	return new WP_Error(
		'backorder_connector_failed',
		/* translators: 1: HTTP status, 2: the connector's reason */
		sprintf( __( 'The backorder connector answered %1$d %2$s', 'backorder-connector' ), $code, $reason )
	);
}
