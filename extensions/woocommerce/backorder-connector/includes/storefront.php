<?php
/**
 * The date follows the item (issue 16): the add-to-cart button, the cart, the checkout and the order.
 *
 * - A product or variation on backorder (stock status onbackorder, or managing stock with backorders
 *   allowed and nothing in stock) with the connector's in-stock date (_backorder_in_stock_date) gets the
 *   button text "Backorder: ships by <date>"; without a date the merchant's fallback text, or WooCommerce's
 *   own text when there is none; products in stock are left alone. Variations: the text travels with the
 *   variation's data (woocommerce_available_variation) and assets/ships-by.js puts it on the button.
 * - The cart line keeps the date (cart item data backorder_ships_by, an ISO date), shown in cart and
 *   checkout; the order line gets the meta "Ships by" (the date as the customer saw it) and
 *   "_backorder_ships_by" (the ISO date, for the connector).
 * - A cart with items in stock and items on backorder says so; when the merchant allows it, the checkout
 *   asks "ship what's ready now" or "ship together", saved as the order meta _backorder_shipping
 *   (ready_now | together); a choice made in the Cart block (kept in the session) is the one shown first.
 * - The Cart and Checkout blocks: includes/storefront-blocks.php.
 *
 * Texts come from the settings (includes/storefront-settings.php, per language) or the translatable
 * defaults (text domain backorder-connector). Everything printed is escaped here.
 *
 * @package BackorderConnector
 */

defined( 'ABSPATH' ) || exit;

/** Product and variation meta the connector writes: the same key as product-date.php reads. */
const BACKORDER_CONNECTOR_DATE_META = '_backorder_in_stock_date';
/** Cart item data: the ISO date the line ships by. */
const BACKORDER_CONNECTOR_CART_DATE = 'backorder_ships_by';
/** Order item meta: the date as shown (visible) and the ISO date (hidden, for machines). */
const BACKORDER_CONNECTOR_LINE_META     = 'Ships by';
const BACKORDER_CONNECTOR_LINE_ISO_META = '_backorder_ships_by';
/** Order meta: the customer's choice for a mixed cart, and the checkout field that carries it. */
const BACKORDER_CONNECTOR_SHIPPING_META  = '_backorder_shipping';
const BACKORDER_CONNECTOR_SHIPPING_FIELD = 'backorder_shipping';
const BACKORDER_CONNECTOR_SHIPPING_READY = 'ready_now';
const BACKORDER_CONNECTOR_SHIPPING_ALL   = 'together';

/**
 * A valid ISO calendar day, or null.
 *
 * @param mixed $value Meta or cart data.
 */
function backorder_connector_iso_day( $value ): ?string {
	if ( ! is_string( $value ) || ! preg_match( '/^\d{4}-\d{2}-\d{2}$/', $value ) ) {
		return null;
	}
	$day = DateTimeImmutable::createFromFormat( '!Y-m-d', $value, new DateTimeZone( 'UTC' ) );
	return ( false !== $day && $day->format( 'Y-m-d' ) === $value ) ? $value : null;
}

/**
 * The product's published in-stock date (ISO), or null.
 *
 * @param mixed $product A WC_Product.
 */
function backorder_connector_published_day( $product ): ?string {
	return $product instanceof WC_Product ? backorder_connector_iso_day( $product->get_meta( BACKORDER_CONNECTOR_DATE_META, true ) ) : null;
}

/**
 * How many of $quantity units would wait for stock: all of them when the stock status is onbackorder
 * without stock management, the units beyond the stock when managing stock with backorders allowed.
 *
 * @param mixed $product  A WC_Product.
 * @param int   $quantity Units wanted.
 */
function backorder_connector_waiting_units( $product, int $quantity ): int {
	if ( ! $product instanceof WC_Product || $quantity <= 0 ) {
		return 0;
	}
	if ( $product->managing_stock() ) {
		if ( ! $product->backorders_allowed() ) {
			return 0;
		}
		$stock = (int) $product->get_stock_quantity();
		return max( 0, $quantity - max( 0, $stock ) );
	}
	return 'onbackorder' === $product->get_stock_status() ? $quantity : 0;
}

/**
 * Whether the product is sold on backorder (the next unit waits for stock).
 *
 * @param mixed $product A WC_Product.
 */
function backorder_connector_on_backorder( $product ): bool {
	return backorder_connector_waiting_units( $product, 1 ) > 0;
}

/**
 * The day formatted for customers: the site's date format (filter backorder_connector_date_format) in
 * the site's language; the day itself, so no site time zone shows the day before or after.
 *
 * @param string $iso     An ISO day.
 * @param mixed  $product The product, for the filter.
 */
function backorder_connector_format_day( string $iso, $product = null ): string {
	$day    = new DateTimeImmutable( $iso . ' 00:00:00', new DateTimeZone( 'UTC' ) );
	$format = (string) apply_filters( 'backorder_connector_date_format', get_option( 'date_format' ), $product );
	return (string) wp_date( $format, $day->getTimestamp(), new DateTimeZone( 'UTC' ) );
}

/**
 * The add-to-cart text for a simple product or a variation on backorder, or null to leave WooCommerce's.
 * The result is plain text (WooCommerce escapes it where it prints it; the variation script sets it as text).
 *
 * @param mixed $product A WC_Product.
 */
function backorder_connector_button_text( $product ): ?string {
	if ( ! $product instanceof WC_Product || ! ( $product->is_type( 'simple' ) || $product->is_type( 'variation' ) )
		|| ! backorder_connector_on_backorder( $product ) ) {
		return null;
	}
	$iso = backorder_connector_published_day( $product );
	if ( null !== $iso ) {
		$date = backorder_connector_format_day( $iso, $product );
		/* translators: {date} is replaced by the date the item ships by, in the site's format */
		$text = str_replace( '{date}', $date, backorder_connector_storefront_text( 'button_text', __( 'Backorder: ships by {date}', 'backorder-connector' ) ) );
	} else {
		$date = '';
		$text = backorder_connector_storefront_text( 'fallback_text', '' );
	}
	$text = trim( wp_strip_all_tags( (string) apply_filters( 'backorder_connector_button_text', $text, $date, $iso, $product ), true ) );
	return '' === $text ? null : $text;
}

/**
 * WooCommerce's add-to-cart text filters.
 *
 * @param mixed $text    WooCommerce's text.
 * @param mixed $product The product.
 * @return mixed
 */
function backorder_connector_add_to_cart_text( $text, $product = null ) {
	return backorder_connector_button_text( $product ) ?? $text;
}
add_filter( 'woocommerce_product_single_add_to_cart_text', 'backorder_connector_add_to_cart_text', 20, 2 );
add_filter( 'woocommerce_product_add_to_cart_text', 'backorder_connector_add_to_cart_text', 20, 2 );

/* Variations: the text rides with each variation's data; assets/ships-by.js puts it on the button. */
add_filter(
	'woocommerce_available_variation',
	function ( $data, $product, $variation ) {
		$data['backorder_button_text'] = backorder_connector_button_text( $variation ) ?? '';
		return $data;
	},
	20,
	3
);

add_action(
	'wp_enqueue_scripts',
	function () {
		if ( function_exists( 'is_product' ) && is_product() ) {
			wp_enqueue_script(
				'backorder-connector-ships-by',
				plugins_url( 'assets/ships-by.js', dirname( __DIR__ ) . '/backorder-connector.php' ),
				array( 'jquery', 'wc-add-to-cart-variation' ),
				BACKORDER_CONNECTOR_VERSION,
				true
			);
		}
	}
);

/* -- cart and order lines -------------------------------------------------------------------------- */

/**
 * The ISO day a cart line of $quantity ships by: the published date while some of its units wait, else null.
 *
 * @param mixed $product  A WC_Product.
 * @param int   $quantity The line's quantity.
 */
function backorder_connector_line_day( $product, int $quantity ): ?string {
	return backorder_connector_waiting_units( $product, $quantity ) > 0 ? backorder_connector_published_day( $product ) : null;
}

/* Added to the cart: the date on the button goes with the line. */
add_filter(
	'woocommerce_add_cart_item_data',
	function ( $cart_item_data, $product_id, $variation_id = 0, $quantity = 1 ) {
		$product = wc_get_product( $variation_id ? $variation_id : $product_id );
		$iso     = backorder_connector_line_day( $product, (int) $quantity );
		if ( null !== $iso ) {
			$cart_item_data[ BACKORDER_CONNECTOR_CART_DATE ] = $iso;
		}
		return $cart_item_data;
	},
	10,
	4
);

/*
 * Every time the cart is read (each page, and the checkout itself), the line's date follows what the
 * connector publishes now and the line's quantity: cart and checkout show the current date, and the order
 * gets the one the checkout showed. A line no longer waiting loses it.
 */
add_filter(
	'woocommerce_get_cart_item_from_session',
	function ( $cart_item ) {
		$iso = backorder_connector_line_day( $cart_item['data'] ?? null, (int) ( $cart_item['quantity'] ?? 0 ) );
		if ( null === $iso ) {
			unset( $cart_item[ BACKORDER_CONNECTOR_CART_DATE ] );
		} else {
			$cart_item[ BACKORDER_CONNECTOR_CART_DATE ] = $iso;
		}
		return $cart_item;
	},
	20
);

/* Cart and checkout: "Ships by: <date>" under the line. */
add_filter(
	'woocommerce_get_item_data',
	function ( $item_data, $cart_item ) {
		$iso = backorder_connector_iso_day( $cart_item[ BACKORDER_CONNECTOR_CART_DATE ] ?? null );
		if ( null !== $iso ) {
			$label       = esc_html__( 'Ships by', 'backorder-connector' );
			$item_data[] = array(
				'key'     => $label,
				'name'    => $label, // what older themes' cart templates read
				'value'   => esc_html( backorder_connector_format_day( $iso, $cart_item['data'] ?? null ) ),
				'display' => '',
			);
		}
		return $item_data;
	},
	10,
	2
);

/* The order line keeps the promise: "Ships by" as shown, "_backorder_ships_by" as an ISO date. */
add_action(
	'woocommerce_checkout_create_order_line_item',
	function ( $item, $cart_item_key, $values ) {
		$iso = backorder_connector_iso_day( $values[ BACKORDER_CONNECTOR_CART_DATE ] ?? null );
		if ( null !== $iso ) {
			$item->add_meta_data( BACKORDER_CONNECTOR_LINE_META, backorder_connector_format_day( $iso, $values['data'] ?? null ), true );
			$item->add_meta_data( BACKORDER_CONNECTOR_LINE_ISO_META, $iso, true );
		}
	},
	10,
	3
);

/* The visible meta's label in the customer's and the admin's language (the key itself stays "Ships by"). */
add_filter(
	'woocommerce_order_item_display_meta_key',
	function ( $display_key, $meta = null ) {
		return ( is_object( $meta ) && BACKORDER_CONNECTOR_LINE_META === ( $meta->key ?? null ) ) ? __( 'Ships by', 'backorder-connector' ) : $display_key;
	},
	10,
	2
);

/* -- a cart with items in stock and items on backorder ---------------------------------------------- */

/**
 * Units in the cart that ship now and units that wait.
 *
 * @return array{ready: int, waiting: int}
 */
function backorder_connector_cart_units(): array {
	$units = array(
		'ready'   => 0,
		'waiting' => 0,
	);
	$cart  = function_exists( 'WC' ) && WC() ? WC()->cart : null;
	if ( ! $cart ) {
		return $units;
	}
	foreach ( $cart->get_cart() as $cart_item ) {
		$quantity          = (int) ( $cart_item['quantity'] ?? 0 );
		$waiting           = backorder_connector_waiting_units( $cart_item['data'] ?? null, $quantity );
		$units['waiting'] += $waiting;
		$units['ready']   += max( 0, $quantity - $waiting );
	}
	return $units;
}

/** Whether the cart holds units that ship now and units that wait. */
function backorder_connector_cart_is_mixed(): bool {
	$units = backorder_connector_cart_units();
	return $units['ready'] > 0 && $units['waiting'] > 0;
}

/** Whether the customer is asked how to ship this cart. */
function backorder_connector_asks_shipping_choice(): bool {
	return backorder_connector_storefront_allows_choice() && backorder_connector_cart_is_mixed();
}

/** Cart and checkout pages: the notice for a mixed cart. */
function backorder_connector_mixed_cart_notice(): void {
	if ( ! backorder_connector_cart_is_mixed() ) {
		return;
	}
	$text = __( 'Your cart has items in stock and items on backorder; each backordered item shows the date it ships by.', 'backorder-connector' );
	if ( backorder_connector_storefront_allows_choice() ) {
		$text .= ' ' . __( 'At checkout you can choose to get what is ready now or everything together.', 'backorder-connector' );
	}
	echo '<div class="woocommerce-info backorder-connector-mixed-cart" role="status">' . esc_html( $text ) . '</div>';
}
add_action( 'woocommerce_before_cart', 'backorder_connector_mixed_cart_notice' );
add_action( 'woocommerce_before_checkout_form', 'backorder_connector_mixed_cart_notice', 5 );

/** The choice posted with the checkout, or '' (not one of the two). */
function backorder_connector_posted_shipping_choice(): string {
	// phpcs:ignore WordPress.Security.NonceVerification.Missing -- WooCommerce checked the checkout nonce before these hooks run
	$value = isset( $_POST[ BACKORDER_CONNECTOR_SHIPPING_FIELD ] ) ? sanitize_key( wp_unslash( $_POST[ BACKORDER_CONNECTOR_SHIPPING_FIELD ] ) ) : '';
	return in_array( $value, array( BACKORDER_CONNECTOR_SHIPPING_READY, BACKORDER_CONNECTOR_SHIPPING_ALL ), true ) ? $value : '';
}

/* Checkout, above the payment methods (printed once, not replaced when the order review refreshes). */
add_action(
	'woocommerce_review_order_before_payment',
	function () {
		if ( ! backorder_connector_asks_shipping_choice() ) {
			return;
		}
		// What was posted, else what the customer chose in the cart block (kept in the session), else ready now.
		$chosen  = backorder_connector_posted_shipping_choice();
		$chosen  = '' === $chosen ? backorder_connector_shown_choice() : $chosen;
		$choices = backorder_connector_shipping_choices();
		echo '<fieldset class="backorder-connector-shipping" id="backorder-connector-shipping"><legend>'
			. esc_html__( 'Some items are on backorder. How should we ship your order?', 'backorder-connector' ) . '</legend>';
		foreach ( $choices as $value => $label ) {
			$id = 'backorder-shipping-' . $value;
			echo '<p><input type="radio" name="' . esc_attr( BACKORDER_CONNECTOR_SHIPPING_FIELD ) . '" id="' . esc_attr( $id ) . '" value="' . esc_attr( $value ) . '"'
				. ( $value === $chosen ? ' checked' : '' ) . '> <label for="' . esc_attr( $id ) . '">' . esc_html( $label ) . '</label></p>';
		}
		echo '</fieldset>';
	}
);

/* The choice must be one of the two when it was asked. */
add_action(
	'woocommerce_after_checkout_validation',
	function ( $data, $errors ) {
		if ( backorder_connector_asks_shipping_choice() && '' === backorder_connector_posted_shipping_choice() ) {
			$errors->add( BACKORDER_CONNECTOR_SHIPPING_FIELD, __( 'Please choose whether to ship what\'s ready now or everything together.', 'backorder-connector' ) );
		}
	},
	10,
	2
);

/* Saved on the order for the connector (nothing is saved when it was not asked). */
add_action(
	'woocommerce_checkout_create_order',
	function ( $order ) {
		$choice = backorder_connector_asks_shipping_choice() ? backorder_connector_posted_shipping_choice() : '';
		if ( '' !== $choice ) {
			$order->update_meta_data( BACKORDER_CONNECTOR_SHIPPING_META, $choice );
		}
	}
);
