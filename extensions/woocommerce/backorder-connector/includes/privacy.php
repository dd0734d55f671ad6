<?php
/**
 * WordPress's personal data exporter and eraser (Tools > Export / Erase Personal Data) for what the
 * backorder connector holds about a customer: the orders it recorded, their lines, the messages it
 * sent, drop-ship addresses and copies of the store's order notifications.
 *
 * Both ask the connector (POST /woocommerce/privacy/export and /erase, signed); when it cannot be
 * reached or refuses, WordPress shows the error and the request can be retried, rather than being
 * marked complete with nothing exported or erased.
 *
 * @package BackorderConnector
 */

defined( 'ABSPATH' ) || exit;

const BACKORDER_CONNECTOR_PRIVACY_ID = 'backorder-connector';

add_filter(
	'wp_privacy_personal_data_exporters',
	function ( $exporters ) {
		$exporters[ BACKORDER_CONNECTOR_PRIVACY_ID ] = array(
			'exporter_friendly_name' => __( 'Backorder connector', 'backorder-connector' ),
			'callback'               => 'backorder_connector_export_personal_data',
		);
		return $exporters;
	}
);

add_filter(
	'wp_privacy_personal_data_erasers',
	function ( $erasers ) {
		$erasers[ BACKORDER_CONNECTOR_PRIVACY_ID ] = array(
			'eraser_friendly_name' => __( 'Backorder connector', 'backorder-connector' ),
			'callback'             => 'backorder_connector_erase_personal_data',
		);
		return $erasers;
	}
);

/** The connector's answer was not what it promises. */
function backorder_connector_bad_answer(): WP_Error {
	return new WP_Error( 'backorder_connector_bad_answer', __( 'The backorder connector gave an answer this plugin does not understand.', 'backorder-connector' ) );
}

/**
 * Exporter callback: one page of what the connector holds about $email_address.
 *
 * @param string $email_address The customer's e-mail address.
 * @param int    $page          The page, from 1.
 * @return array|WP_Error { data: exporter items, done: bool }
 */
function backorder_connector_export_personal_data( $email_address, $page = 1 ) {
	$answer = backorder_connector_request(
		'/woocommerce/privacy/export',
		array(
			'email' => (string) $email_address,
			'page'  => max( 1, (int) $page ),
		)
	);
	if ( is_wp_error( $answer ) ) {
		return $answer;
	}
	if ( ! isset( $answer['data'], $answer['done'] ) || ! is_array( $answer['data'] ) || ! is_bool( $answer['done'] ) ) {
		return backorder_connector_bad_answer();
	}
	$items = array();
	foreach ( $answer['data'] as $item ) {
		if ( ! is_array( $item ) || ! isset( $item['group_id'], $item['item_id'], $item['data'] ) || ! is_array( $item['data'] ) ) {
			return backorder_connector_bad_answer();
		}
		$data = array();
		foreach ( $item['data'] as $pair ) {
			if ( is_array( $pair ) && isset( $pair['name'] ) && is_scalar( $pair['name'] ) ) {
				$data[] = array(
					'name'  => (string) $pair['name'],
					'value' => isset( $pair['value'] ) && is_scalar( $pair['value'] ) ? (string) $pair['value'] : '',
				);
			}
		}
		$items[] = array(
			'group_id'          => (string) $item['group_id'],
			'group_label'       => (string) ( $item['group_label'] ?? $item['group_id'] ),
			'group_description' => (string) ( $item['group_description'] ?? '' ),
			'item_id'           => (string) $item['item_id'],
			'data'              => $data,
		);
	}
	return array(
		'data' => $items,
		'done' => $answer['done'],
	);
}

/**
 * Eraser callback: the connector erases what it holds about $email_address (all of it on page 1).
 *
 * @param string $email_address The customer's e-mail address.
 * @param int    $page          The page, from 1.
 * @return array|WP_Error { items_removed, items_retained, messages, done }
 */
function backorder_connector_erase_personal_data( $email_address, $page = 1 ) {
	$answer = backorder_connector_request(
		'/woocommerce/privacy/erase',
		array(
			'email' => (string) $email_address,
			'page'  => max( 1, (int) $page ),
		)
	);
	if ( is_wp_error( $answer ) ) {
		return $answer;
	}
	foreach ( array( 'items_removed', 'items_retained', 'done' ) as $key ) {
		if ( ! isset( $answer[ $key ] ) || ! is_bool( $answer[ $key ] ) ) {
			return backorder_connector_bad_answer();
		}
	}
	$messages = array();
	foreach ( (array) ( $answer['messages'] ?? array() ) as $message ) {
		if ( is_string( $message ) ) {
			$messages[] = $message;
		}
	}
	return array(
		'items_removed'  => $answer['items_removed'],
		'items_retained' => $answer['items_retained'],
		'messages'       => $messages,
		'done'           => $answer['done'],
	);
}

/* A paragraph the merchant can copy into the site's privacy policy (Settings > Privacy). */
add_action(
	'admin_init',
	function () {
		if ( function_exists( 'wp_add_privacy_policy_content' ) ) {
			wp_add_privacy_policy_content(
				__( 'Backorder connector', 'backorder-connector' ),
				'<p>' . esc_html__( 'When an item you order is out of stock, our backorder service keeps your order number, the items waiting, your e-mail address and the messages it sends you about them, so it can tell you when they will ship. It keeps them until you ask us to erase them or for as long as the order needs it.', 'backorder-connector' ) . '</p>'
			);
		}
	}
);
