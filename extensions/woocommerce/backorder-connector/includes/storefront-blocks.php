<?php
/**
 * The date follows the item in WooCommerce's Cart and Checkout blocks (the default cart and checkout since
 * WooCommerce 8.3), where the classic cart and checkout hooks of storefront.php do not run.
 *
 * What the blocks get, through WooCommerce's documented block extensibility:
 *
 * - Store API data (ExtendSchema, namespace backorder-connector): each cart item carries ships_by (the ISO
 *   day the line ships by, or null), ships_by_text (that day as shown) and waiting (units that wait); the
 *   cart carries mixed, notice, asks_choice, question, choices and choice (the customer's choice, or the
 *   one shown first).
 * - assets/ships-by-blocks.js, registered for both blocks (includes/class-blocks-integration.php): marks the
 *   lines that wait and shows the mixed-cart notice with the two choices (ExperimentalOrderMeta slot in the
 *   cart and the checkout), sending a change with extensionCartUpdate.
 * - The update callback checks the choice and keeps it in the customer's WooCommerce session (key
 *   backorder_shipping); the classic checkout shows the same choice first.
 * - At block checkout (woocommerce_store_api_checkout_update_order_from_request) the order gets the same
 *   meta as the classic checkout writes: _backorder_shipping = ready_now | together, only when asked.
 *
 * What the blocks already had: the line's "Ships by: <date>" (the Store API reads woocommerce_get_item_data
 * into each item's item_data, which the blocks print under the line) and the order line meta (the Store API
 * creates order lines with WC_Checkout::create_order_line_items, which fires
 * woocommerce_checkout_create_order_line_item).
 *
 * @package BackorderConnector
 */

defined( 'ABSPATH' ) || exit;

/** The Store API namespace of this plugin's data and update callback, and its blocks script's handle. */
const BACKORDER_CONNECTOR_BLOCKS_NAMESPACE = 'backorder-connector';
const BACKORDER_CONNECTOR_BLOCKS_SCRIPT    = 'backorder-connector-ships-by-blocks';
/** WooCommerce session key of the customer's choice for a mixed cart. */
const BACKORDER_CONNECTOR_SHIPPING_SESSION = 'backorder_shipping';

/** The two choices, in the order they are offered, with their labels. */
function backorder_connector_shipping_choices(): array {
	return array(
		BACKORDER_CONNECTOR_SHIPPING_READY => __( 'Ship what\'s ready now; the backordered items follow when they arrive', 'backorder-connector' ),
		BACKORDER_CONNECTOR_SHIPPING_ALL   => __( 'Ship together, when the backordered items arrive', 'backorder-connector' ),
	);
}

/** Whether $value is one of the two choices. */
function backorder_connector_is_shipping_choice( $value ): bool {
	return is_string( $value ) && array_key_exists( $value, backorder_connector_shipping_choices() );
}

/** The customer's WooCommerce session, or null (admin, cron, REST without a cart). */
function backorder_connector_session() {
	$wc = function_exists( 'WC' ) ? WC() : null;
	return ( $wc && isset( $wc->session ) && is_object( $wc->session ) ) ? $wc->session : null;
}

/** The choice kept in the session, or '' (none made yet). */
function backorder_connector_session_choice(): string {
	$session = backorder_connector_session();
	$value   = $session ? $session->get( BACKORDER_CONNECTOR_SHIPPING_SESSION ) : null;
	return backorder_connector_is_shipping_choice( $value ) ? $value : '';
}

/** The choice a customer sees chosen: theirs, else ship what's ready now. */
function backorder_connector_shown_choice(): string {
	$choice = backorder_connector_session_choice();
	return '' === $choice ? BACKORDER_CONNECTOR_SHIPPING_READY : $choice;
}

/* -- Store API data ------------------------------------------------------------------------------------ */

/**
 * A cart item's data for the blocks: the day it ships by (from the cart item data storefront.php keeps
 * current with what the connector publishes), that day as shown, and how many of its units wait.
 *
 * @param array $cart_item A WooCommerce cart item.
 * @return array{ships_by: ?string, ships_by_text: ?string, waiting: int}
 */
function backorder_connector_blocks_item_data( $cart_item ): array {
	$cart_item = is_array( $cart_item ) ? $cart_item : array();
	$iso       = backorder_connector_iso_day( $cart_item[ BACKORDER_CONNECTOR_CART_DATE ] ?? null );
	return array(
		'ships_by'      => $iso,
		'ships_by_text' => null === $iso ? null : backorder_connector_format_day( $iso, $cart_item['data'] ?? null ),
		'waiting'       => backorder_connector_waiting_units( $cart_item['data'] ?? null, (int) ( $cart_item['quantity'] ?? 0 ) ),
	);
}

/** The schema of a cart item's data. */
function backorder_connector_blocks_item_schema(): array {
	return array(
		'ships_by'      => array(
			'description' => __( 'The day the line ships by (ISO 8601), when some of its units wait for stock and the connector has a date.', 'backorder-connector' ),
			'type'        => array( 'string', 'null' ),
			'format'      => 'date',
			'context'     => array( 'view', 'edit' ),
			'readonly'    => true,
		),
		'ships_by_text' => array(
			'description' => __( 'The same day in the site\'s date format and language, as the cart shows it.', 'backorder-connector' ),
			'type'        => array( 'string', 'null' ),
			'context'     => array( 'view', 'edit' ),
			'readonly'    => true,
		),
		'waiting'       => array(
			'description' => __( 'Units of the line that wait for stock.', 'backorder-connector' ),
			'type'        => 'integer',
			'context'     => array( 'view', 'edit' ),
			'readonly'    => true,
		),
	);
}

/**
 * The cart's data for the blocks: whether it mixes units that ship now and units that wait, the notice,
 * and, when the merchant lets customers choose, the question, the two choices and the current one.
 *
 * @return array{mixed: bool, notice: string, asks_choice: bool, question: string, choices: array, choice: ?string}
 */
function backorder_connector_blocks_cart_data(): array {
	$mixed = backorder_connector_cart_is_mixed();
	$asks  = $mixed && backorder_connector_storefront_allows_choice();
	$data  = array(
		'mixed'       => $mixed,
		'notice'      => $mixed ? __( 'Your cart has items in stock and items on backorder; each backordered item shows the date it ships by.', 'backorder-connector' ) : '',
		'asks_choice' => $asks,
		'question'    => $asks ? __( 'Some items are on backorder. How should we ship your order?', 'backorder-connector' ) : '',
		'choices'     => array(),
		'choice'      => $asks ? backorder_connector_shown_choice() : null,
	);
	if ( $asks ) {
		foreach ( backorder_connector_shipping_choices() as $value => $label ) {
			$data['choices'][] = array(
				'value' => $value,
				'label' => $label,
			);
		}
	}
	return $data;
}

/** The schema of the cart's data. */
function backorder_connector_blocks_cart_schema(): array {
	$choice = array( BACKORDER_CONNECTOR_SHIPPING_READY, BACKORDER_CONNECTOR_SHIPPING_ALL );
	$field  = fn( string $description, $type, array $more = array() ) => array(
		'description' => $description,
		'type'        => $type,
		'context'     => array( 'view', 'edit' ),
		'readonly'    => true,
	) + $more;
	return array(
		'mixed'       => $field( __( 'Whether the cart holds units that ship now and units that wait for stock.', 'backorder-connector' ), 'boolean' ),
		'notice'      => $field( __( 'The notice for a mixed cart (plain text), or empty.', 'backorder-connector' ), 'string' ),
		'asks_choice' => $field( __( 'Whether the customer is asked how to ship the cart.', 'backorder-connector' ), 'boolean' ),
		'question'    => $field( __( 'The question asked (plain text), or empty.', 'backorder-connector' ), 'string' ),
		'choices'     => $field(
			__( 'The choices offered, in order.', 'backorder-connector' ),
			'array',
			array(
				'items' => array(
					'type'       => 'object',
					'properties' => array(
						'value' => array(
							'type' => 'string',
							'enum' => $choice,
						),
						'label' => array( 'type' => 'string' ),
					),
				),
			)
		),
		'choice'      => $field( __( 'The customer\'s choice, or the one shown first; null when nothing is asked.', 'backorder-connector' ), array( 'string', 'null' ), array( 'enum' => array_merge( $choice, array( null ) ) ) ),
	);
}

/* -- the choice, sent by the blocks with extensionCartUpdate ------------------------------------------- */

/**
 * The cart/extensions callback: keeps a valid choice in the session; anything else is refused with a
 * RouteException (the Store API answers 400 with its code and message, which the blocks show).
 *
 * @param mixed $data The data the script sent: array( 'choice' => 'ready_now' | 'together' ).
 * @throws \Automattic\WooCommerce\StoreApi\Exceptions\RouteException On a choice that is not offered or not one of the two.
 */
function backorder_connector_blocks_update( $data ): void {
	$choice = is_array( $data ) ? ( $data['choice'] ?? null ) : null;
	if ( ! backorder_connector_storefront_allows_choice() ) {
		throw new \Automattic\WooCommerce\StoreApi\Exceptions\RouteException(
			'backorder_connector_choice_not_offered',
			esc_html__( 'This shop ships each order as its items become available; there is nothing to choose.', 'backorder-connector' ),
			400
		);
	}
	if ( ! backorder_connector_is_shipping_choice( $choice ) ) {
		throw new \Automattic\WooCommerce\StoreApi\Exceptions\RouteException(
			'backorder_connector_invalid_choice',
			esc_html__( 'Please choose whether to ship what\'s ready now or everything together.', 'backorder-connector' ),
			400
		);
	}
	$session = backorder_connector_session();
	if ( ! $session ) {
		throw new \Automattic\WooCommerce\StoreApi\Exceptions\RouteException(
			'backorder_connector_no_session',
			esc_html__( 'Your cart could not be found; please reload the page and choose again.', 'backorder-connector' ),
			400
		);
	}
	$session->set( BACKORDER_CONNECTOR_SHIPPING_SESSION, $choice );
}

/* A placed order empties the cart: the next cart starts without a choice. */
add_action(
	'woocommerce_cart_emptied',
	function () {
		$session = backorder_connector_session();
		if ( $session ) {
			$session->set( BACKORDER_CONNECTOR_SHIPPING_SESSION, null );
		}
	}
);

/**
 * Block checkout: the order gets what the classic checkout saves, _backorder_shipping, when the customer was
 * asked (the choice they made, else the one shown chosen, ship what's ready now); an order not asked (any
 * more: the draft order is reused when the cart changes) carries none.
 *
 * @param mixed $order   The WC_Order being placed.
 * @param mixed $request The Store API request (not read: the choice is in the session).
 */
function backorder_connector_blocks_checkout_order( $order, $request = null ): void {
	if ( ! is_object( $order ) ) {
		return;
	}
	if ( backorder_connector_asks_shipping_choice() ) {
		$order->update_meta_data( BACKORDER_CONNECTOR_SHIPPING_META, backorder_connector_shown_choice() );
	} else {
		$order->delete_meta_data( BACKORDER_CONNECTOR_SHIPPING_META );
	}
}
add_action( 'woocommerce_store_api_checkout_update_order_from_request', 'backorder_connector_blocks_checkout_order', 10, 2 );

/* -- registration -------------------------------------------------------------------------------------- */

/* Store API data and the update callback, once WooCommerce's blocks are loaded (plugins load before it). */
add_action(
	'woocommerce_blocks_loaded',
	function () {
		if ( function_exists( 'woocommerce_store_api_register_endpoint_data' ) ) {
			woocommerce_store_api_register_endpoint_data(
				array(
					'endpoint'        => 'cart-item', // CartItemSchema::IDENTIFIER
					'namespace'       => BACKORDER_CONNECTOR_BLOCKS_NAMESPACE,
					'data_callback'   => 'backorder_connector_blocks_item_data',
					'schema_callback' => 'backorder_connector_blocks_item_schema',
					'schema_type'     => ARRAY_A,
				)
			);
			woocommerce_store_api_register_endpoint_data(
				array(
					'endpoint'        => 'cart', // CartSchema::IDENTIFIER
					'namespace'       => BACKORDER_CONNECTOR_BLOCKS_NAMESPACE,
					'data_callback'   => 'backorder_connector_blocks_cart_data',
					'schema_callback' => 'backorder_connector_blocks_cart_schema',
					'schema_type'     => ARRAY_A,
				)
			);
		}
		if ( function_exists( 'woocommerce_store_api_register_update_callback' ) ) {
			woocommerce_store_api_register_update_callback(
				array(
					'namespace' => BACKORDER_CONNECTOR_BLOCKS_NAMESPACE,
					'callback'  => 'backorder_connector_blocks_update',
				)
			);
		}
	}
);

/**
 * Registers the blocks script with a block's integration registry (the Cart block's, the Checkout block's).
 *
 * @param mixed $registry WooCommerce's IntegrationRegistry.
 */
function backorder_connector_register_blocks_integration( $registry ): void {
	require_once __DIR__ . '/class-blocks-integration.php';
	if ( is_object( $registry ) && class_exists( 'Backorder_Connector_Blocks_Integration', false ) ) {
		$registry->register( new Backorder_Connector_Blocks_Integration() );
	}
}
add_action( 'woocommerce_blocks_cart_block_registration', 'backorder_connector_register_blocks_integration' );
add_action( 'woocommerce_blocks_checkout_block_registration', 'backorder_connector_register_blocks_integration' );
