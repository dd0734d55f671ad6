/*
 * Backorder connector: on a variable product, the add-to-cart button follows the chosen variation.
 * WooCommerce's variation script (wc-add-to-cart-variation) triggers found_variation with the variation's
 * data, where the plugin put backorder_button_text ("Backorder: ships by <date>", the fallback text, or ''
 * to keep the button's own text); reset_data and hide_variation bring the own text back. Without
 * JavaScript the button keeps WooCommerce's text and the cart shows the date.
 */
( function ( $ ) {
	'use strict';
	if ( ! $ ) {
		return;
	}
	function button( form ) {
		var $button = $( form ).find( '.single_add_to_cart_button' );
		if ( $button.length && undefined === $button.data( 'backorderOwnText' ) ) {
			$button.data( 'backorderOwnText', $button.text() );
		}
		return $button;
	}
	function restore( form ) {
		var $button = button( form );
		if ( $button.length ) {
			$button.text( $button.data( 'backorderOwnText' ) );
		}
	}
	$( document ).on( 'found_variation', '.variations_form', function ( event, variation ) {
		var $button = button( this );
		var text = variation && 'string' === typeof variation.backorder_button_text ? variation.backorder_button_text : '';
		if ( $button.length ) {
			$button.text( text || $button.data( 'backorderOwnText' ) );
		}
	} );
	$( document ).on( 'reset_data hide_variation', '.variations_form', function () {
		restore( this );
	} );
}( window.jQuery ) );
