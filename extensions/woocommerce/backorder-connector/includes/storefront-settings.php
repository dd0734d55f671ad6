<?php
/**
 * The storefront's settings (WooCommerce > Backorder connector, below the connection): the add-to-cart
 * text for items on backorder with a date ("Backorder: ships by {date}") and without one (a fallback such
 * as "Backorder: ships in 2-3 weeks", or nothing), each for all languages and per installed language, and
 * whether a customer with a mixed cart may choose "ship what's ready now" or "ship together".
 *
 * Kept in one WordPress option, backorder_connector_storefront:
 *   array( 'button_text' => array( '' => ..., 'nl_NL' => ... ), 'fallback_text' => array( ... ), 'mixed_choice' => bool )
 * where '' is "all languages". An empty text uses the translated default (button) or WooCommerce's own
 * text (fallback). The language is WordPress's for the request (determine_locale(), which WPML and
 * Polylang set per visitor).
 *
 * @package BackorderConnector
 */

defined( 'ABSPATH' ) || exit;

const BACKORDER_CONNECTOR_STOREFRONT = 'backorder_connector_storefront';

/**
 * The stored settings with every key present.
 *
 * @return array{button_text: array<string, string>, fallback_text: array<string, string>, mixed_choice: bool}
 */
function backorder_connector_storefront_settings(): array {
	$stored = get_option( BACKORDER_CONNECTOR_STOREFRONT, array() );
	$stored = is_array( $stored ) ? $stored : array();
	return array(
		'button_text'   => is_array( $stored['button_text'] ?? null ) ? $stored['button_text'] : array(),
		'fallback_text' => is_array( $stored['fallback_text'] ?? null ) ? $stored['fallback_text'] : array(),
		'mixed_choice'  => ! empty( $stored['mixed_choice'] ),
	);
}

/**
 * The merchant's text for the visitor's language: that locale's, else the same language's (nl for nl_BE),
 * else all languages', else $fallback.
 *
 * @param string $which    button_text or fallback_text.
 * @param string $fallback The text when the merchant set none.
 */
function backorder_connector_storefront_text( string $which, string $fallback ): string {
	$texts  = backorder_connector_storefront_settings()[ $which ] ?? array();
	$locale = (string) determine_locale();
	$lang   = strtok( $locale, '_' );
	$found  = $texts[ $locale ] ?? '';
	if ( '' === $found ) {
		foreach ( $texts as $code => $text ) {
			if ( '' !== (string) $code && strtok( (string) $code, '_' ) === $lang && '' !== $text ) {
				$found = $text;
				break;
			}
		}
	}
	if ( '' === $found ) {
		$found = $texts[''] ?? '';
	}
	return '' === $found ? $fallback : (string) $found;
}

/** Whether a customer with a mixed cart may choose how it ships. */
function backorder_connector_storefront_allows_choice(): bool {
	return backorder_connector_storefront_settings()['mixed_choice'];
}

/**
 * The languages offered in the form: '' (all) and the site's installed languages.
 *
 * @return string[]
 */
function backorder_connector_storefront_locales(): array {
	$locales = array_values( array_unique( array_merge( array( '', (string) get_locale() ), get_available_languages() ) ) );
	return count( $locales ) > 2 ? $locales : array( '' ); // one language: "all languages" is it
}

add_action(
	'admin_init',
	function () {
		register_setting(
			BACKORDER_CONNECTOR_STOREFRONT,
			BACKORDER_CONNECTOR_STOREFRONT,
			array(
				'type'              => 'array',
				'default'           => array(),
				'sanitize_callback' => 'backorder_connector_sanitize_storefront',
			)
		);
	}
);
add_filter(
	'option_page_capability_' . BACKORDER_CONNECTOR_STOREFRONT,
	function () {
		return BACKORDER_CONNECTOR_CAPABILITY;
	}
);

/**
 * The settings as saved: plain one-line texts of at most 100 characters per language; a button text
 * without {date} is refused (with a message) and the previous one kept.
 *
 * @param mixed $value What the form sent.
 */
function backorder_connector_sanitize_storefront( $value ): array {
	$value    = is_array( $value ) ? $value : array();
	$previous = backorder_connector_storefront_settings();
	$saved    = array(
		'button_text'   => array(),
		'fallback_text' => array(),
		'mixed_choice'  => ! empty( $value['mixed_choice'] ),
	);
	foreach ( array( 'button_text', 'fallback_text' ) as $which ) {
		foreach ( is_array( $value[ $which ] ?? null ) ? $value[ $which ] : array() as $code => $text ) {
			$code = (string) $code;
			if ( '' !== $code && ! preg_match( '/^[a-z]{2,3}(_[A-Z]{2})?(_[a-z0-9]+)?$/', $code ) ) {
				continue;
			}
			$text = mb_substr( sanitize_text_field( is_string( $text ) ? $text : '' ), 0, 100 );
			if ( 'button_text' === $which && '' !== $text && ! str_contains( $text, '{date}' ) ) {
				add_settings_error(
					BACKORDER_CONNECTOR_STOREFRONT,
					'backorder_connector_button_text',
					/* translators: %s: the text the merchant entered */
					sprintf( __( 'The button text "%s" has no {date}: it was not saved.', 'backorder-connector' ), $text )
				);
				$text = (string) ( $previous['button_text'][ $code ] ?? '' );
			}
			if ( '' !== $text ) {
				$saved[ $which ][ $code ] = $text;
			}
		}
	}
	return $saved;
}

/** The storefront form on the plugin's settings page. */
function backorder_connector_storefront_settings_form(): void {
	if ( ! current_user_can( BACKORDER_CONNECTOR_CAPABILITY ) ) {
		return;
	}
	$settings = backorder_connector_storefront_settings();
	echo '<h2>' . esc_html__( 'Storefront', 'backorder-connector' ) . '</h2><p>'
		. esc_html__( 'What customers see on items on backorder: the add-to-cart button, the date under each cart and order line, and a note when a cart mixes items in stock and on backorder. Leave a text empty to use the default.', 'backorder-connector' )
		. '</p><form method="post" action="' . esc_url( admin_url( 'options.php' ) ) . '">';
	settings_fields( BACKORDER_CONNECTOR_STOREFRONT );
	echo '<table class="form-table" role="presentation">';
	$fields = array(
		'button_text'   => array(
			__( 'Button text with a date', 'backorder-connector' ),
			__( 'Backorder: ships by {date}', 'backorder-connector' ),
			__( '{date} is replaced by the date, in the site\'s date format.', 'backorder-connector' ),
		),
		'fallback_text' => array(
			__( 'Button text without a date', 'backorder-connector' ),
			__( 'Backorder: ships in 2-3 weeks', 'backorder-connector' ),
			__( 'Shown when the connector has no date for the item; empty keeps WooCommerce\'s text.', 'backorder-connector' ),
		),
	);
	foreach ( $fields as $which => [ $label, $placeholder, $help ] ) {
		foreach ( backorder_connector_storefront_locales() as $code ) {
			$id   = 'backorder-connector-' . str_replace( '_', '-', $which ) . ( '' === $code ? '' : '-' . strtolower( str_replace( '_', '-', $code ) ) );
			$name = BACKORDER_CONNECTOR_STOREFRONT . '[' . $which . '][' . $code . ']';
			/* translators: 1: a setting's name, 2: a language code such as nl_NL */
			$title = '' === $code ? $label : sprintf( __( '%1$s (%2$s)', 'backorder-connector' ), $label, $code );
			echo '<tr><th scope="row"><label for="' . esc_attr( $id ) . '">' . esc_html( $title ) . '</label></th><td>'
				. '<input type="text" class="regular-text" maxlength="100" id="' . esc_attr( $id ) . '" name="' . esc_attr( $name ) . '" value="'
				. esc_attr( $settings[ $which ][ $code ] ?? '' ) . '" placeholder="' . esc_attr( $placeholder ) . '">'
				. ( '' === $code ? '<p class="description">' . esc_html( $help ) . ' ' . esc_html__( 'Per language below: empty uses this one.', 'backorder-connector' ) . '</p>' : '' )
				. '</td></tr>';
		}
	}
	echo '<tr><th scope="row">' . esc_html__( 'Mixed carts', 'backorder-connector' ) . '</th><td><label for="backorder-connector-mixed-choice">'
		. '<input type="checkbox" id="backorder-connector-mixed-choice" name="' . esc_attr( BACKORDER_CONNECTOR_STOREFRONT . '[mixed_choice]' ) . '" value="1"'
		. ( $settings['mixed_choice'] ? ' checked' : '' ) . '> '
		. esc_html__( 'Let customers choose "ship what\'s ready now" or "ship together" at checkout', 'backorder-connector' ) . '</label></td></tr></table>';
	submit_button();
	echo '</form>';
}
add_action( 'backorder_connector_settings_page', 'backorder_connector_storefront_settings_form' );
