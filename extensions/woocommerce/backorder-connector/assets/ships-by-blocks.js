/*
 * Backorder connector in WooCommerce's Cart and Checkout blocks (no build step: the globals WordPress and
 * WooCommerce provide, wc.blocksCheckout, wp.plugins and wp.element, which the plugin declares as the
 * script's dependencies).
 *
 * - Each line with units waiting for stock gets the class backorder-connector-ships-later (cartItemClass, in
 *   the cart and the order summary); its "Ships by: <date>" is already under the line (the Store API's
 *   item_data, from the plugin's woocommerce_get_item_data).
 * - A cart mixing units that ship now and units that wait shows the plugin's notice, and, when the merchant
 *   lets customers choose, the two choices as labelled radios in a fieldset, in the ExperimentalOrderMeta
 *   slot of the cart and of the checkout. A change is sent with extensionCartUpdate({ namespace:
 *   'backorder-connector', data: { choice } }); the plugin keeps it in the customer's session and the blocks
 *   receive the cart again with it. A refused choice leaves the radios on the cart's choice (WooCommerce
 *   shows the error).
 *
 * Texts come from the cart's Store API data (extensions['backorder-connector']), in the customer's language.
 */
( function ( wc, wp ) {
	'use strict';
	if ( ! wc || ! wc.blocksCheckout || ! wp || ! wp.plugins || ! wp.element ) {
		return;
	}
	var NAMESPACE = 'backorder-connector';
	var LATER_CLASS = 'backorder-connector-ships-later';
	var checkout = wc.blocksCheckout;
	var el = wp.element.createElement;
	var useState = wp.element.useState;

	function ours( extensions ) {
		return extensions && 'object' === typeof extensions[ NAMESPACE ] ? extensions[ NAMESPACE ] : null;
	}

	if ( window.backorderConnectorBlocks ) {
		return; // the script is on the page twice: register once
	}
	window.backorderConnectorBlocks = true;

	checkout.registerCheckoutFilters( NAMESPACE, {
		cartItemClass: function ( value, extensions ) {
			var item = ours( extensions );
			if ( ! item || ! item.waiting ) {
				return value;
			}
			return value ? value + ' ' + LATER_CLASS : LATER_CLASS;
		},
	} );

	function MixedCart( props ) {
		var sending = useState( null );
		var cart = ours( props.extensions );
		if ( ! cart || ! cart.mixed ) {
			return null;
		}
		var chosen = sending[ 0 ] || cart.choice;
		var where = 'woocommerce/checkout' === props.context ? 'checkout' : 'cart';

		function choose( value ) {
			if ( value === chosen ) {
				return;
			}
			sending[ 1 ]( value );
			var done = function () {
				sending[ 1 ]( null );
			};
			try {
				Promise.resolve( checkout.extensionCartUpdate( { namespace: NAMESPACE, data: { choice: value } } ) ).then( done, done );
			} catch ( error ) {
				done();
			}
		}

		var choices = cart.asks_choice && Array.isArray( cart.choices ) ? cart.choices : [];
		return el(
			'div',
			{ className: 'backorder-connector-mixed-cart wc-block-components-totals-item' },
			el( 'p', { className: 'backorder-connector-mixed-cart__notice', role: 'status' }, cart.notice ),
			choices.length ? el(
				'fieldset',
				{ className: 'backorder-connector-shipping', 'aria-busy': sending[ 0 ] ? 'true' : 'false' },
				el( 'legend', null, cart.question ),
				choices.map( function ( choice ) {
					var id = 'backorder-connector-' + where + '-shipping-' + choice.value;
					return el(
						'p',
						{ key: choice.value, className: 'backorder-connector-shipping__choice' },
						el( 'input', {
							type: 'radio',
							id: id,
							name: 'backorder-connector-' + where + '-shipping',
							value: choice.value,
							checked: choice.value === chosen,
							onChange: function () {
								choose( choice.value );
							},
						} ),
						' ',
						el( 'label', { htmlFor: id }, choice.label )
					);
				} )
			) : null
		);
	}

	wp.plugins.registerPlugin( NAMESPACE, {
		scope: 'woocommerce-checkout',
		render: function () {
			return el( checkout.ExperimentalOrderMeta, null, el( MixedCart, null ) );
		},
	} );
}( window.wc, window.wp ) );
