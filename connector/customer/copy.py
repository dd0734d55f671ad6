"""The page's words in the languages it ships (English, Dutch), chosen per customer.

The language: the order's locale (``orders.locale``, when the store gave one), else the shop's
``notify.language``, else English; "nl-BE" and "nl_NL" are Dutch. Dates are written out with Babel's
CLDR data, as the e-mails write them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date

DEFAULT = "en"

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your order {order}",
        "intro": "These items of your order {order} from {shop} are not in stock yet.",
        "expected": "Ships by", "unknown": "not known yet", "quantity": "Quantity",
        "status_open": "Waiting", "status_allocated": "Set aside for you: it ships next",
        "status_fulfilled": "Shipped", "status_cancelled": "Cancelled", "status_withdrawn": "No longer on back order",
        "status_cancelling": "Cancellation requested",
        "history": "History",
        "h_ordered": "You ordered it", "h_first_date": "We expected it to ship by {date}",
        "h_date_moved": "Ships-by date moved to {date}", "h_date_unknown": "Ships-by date no longer known",
        "h_told": "We e-mailed you: {subject}", "h_notice": "We asked whether you want to wait or cancel",
        "h_chose_wait": "You chose to keep waiting", "h_chose_cancel": "You asked us to cancel",
        "h_cancelled": "Cancelled", "h_cancel_failed": "Our team is handling your cancellation",
        "h_allocated": "{quantity} set aside for you", "h_shipped": "{quantity} shipped",
        "cancel_one": "Cancel this item", "cancel_all": "Cancel all waiting items", "wait": "Keep waiting",
        "cancel_refund": "Cancel for a full refund", "cancel_uncharged": "Cancel, you will not be charged",
        "allocated_help": "To cancel an item that is about to ship, write to {contact}.",
        "the_shop": "the shop",
        "refund_note": "Cancelled items are refunded in full to the way you paid.",
        "uncharged_note": "Your payment is only reserved: you will not be charged for cancelled items.",
        "confirm_title": "Cancel these items?",
        "confirm_yes": "Yes, cancel them", "confirm_no": "No, go back",
        "emails": "How do you want to hear from us?",
        "f_every_change": "Every change of date",
        "f_when_ships": "Only when it ships (and what the law requires)",
        "f_required_only": "No e-mails except what the law requires",
        "emails_help": "The law requires us to write when we cannot ship by the date we promised, and to "
                       "confirm a cancellation.",
        "save": "Save", "done_cancel": "Thank you. We are cancelling the items you chose; you will get an e-mail "
                                      "when it is done.",
        "done_already": "We already have your cancellation for these items.",
        "done_none": "There was nothing left to cancel: these items are no longer waiting.",
        "done_wait": "Thank you for waiting. We ship your items as soon as they are ready and have sent you a "
                     "confirmation by e-mail.",
        "done_emails": "Saved. We will write to you: {choice}.",
        "nothing": "Nothing of this order is on back order.",
        "questions": "Questions? Write to",
        "status_link": "Your order in our store", "store_link": "Back to {shop}",
        "refused_title": "This link cannot be used",
        "expired": "This link has expired. Please use the link in the latest e-mail about your order.",
        "invalid": "This link is not valid.", "busy": "Please try again in a moment.",
        "pick_one": "Please choose at least one waiting item.",
        "bad_choice": "Please choose one of the options.",
        # refused links (connector/customer/refusal.py)
        "r_title_expired": "This link has expired", "r_title_used": "You have already answered",
        "r_title_not_waiting": "These items are no longer waiting",
        "r_title_replaced": "A newer e-mail replaced this one",
        "r_title_invalid": "This link does not work",
        "r_expired": "This link expired on {date}.", "r_expired_undated": "This link has expired.",
        "r_latest": "Please open the link in the latest e-mail about your order: it shows your order as it is now.",
        "r_latest_order": "Please open the link in the latest e-mail about your order {order}: it shows your order "
                          "as it is now.",
        "r_used": "We already have your answer to this e-mail.",
        "r_used_wait": "We already have your answer: you chose to keep waiting for these items.",
        "r_used_cancel": "We already have your answer: you asked us to cancel these items.",
        "r_used_cancelled": "We already have your answer, and these items have been cancelled.",
        "r_used_next": "You do not need to do anything else. If you have changed your mind, please write to us.",
        "r_not_waiting": "These items have shipped or were cancelled, so there is nothing left to choose.",
        "r_replaced": "We have sent you a newer e-mail about this delay, with its own links.",
        "r_invalid": "This link is not complete or was changed, for example when it was copied from the e-mail.",
        "r_invalid_next": "Please open it again from the e-mail, or copy the whole address.",
        "r_contact": "Questions? Write to {shop}:", "r_contact_reply": "Questions? Reply to the e-mail from {shop}.",
        "r_contact_unknown": "Questions? Reply to the e-mail you received from the shop.",
        # the delay notice's link pages (connector/customer/choice.py, webhooks/customer.py)
        "l_title": "Your order {order} is delayed",
        "l_title_cancel": "Cancel these items?", "l_title_wait": "Keep waiting for these items?",
        "l_late": "These items will not ship by {promise}, the date we promised:",
        "l_late_undated": "These items will ship later than we promised:",
        "l_ships_by": "Ships by", "l_deadline": "Please choose by {date}.",
        "l_silence_cancel": "If we do not hear from you by then, we will cancel these items and refund them in full.",
        "l_silence_cancel_uncharged": "If we do not hear from you by then, we will cancel these items and you will "
                                      "not be charged for them.",
        "l_silence_ask": "If we do not hear from you by then, we will not ship them without your answer; our team "
                         "will contact you.",
        "l_no_action": "No action needed: if you are happy to wait, you do not need to do anything.",
        "l_wait_note": "We ship them as soon as they are ready.",
        "l_refund_amount": "You get {amount} back, to the way you paid.",
        "l_refund_full": "We refund them in full, to the way you paid.",
        "l_uncharged": "Your payment is only reserved: you will not be charged for them.",
        "l_done_cancel_title": "Cancellation requested",
        "l_done_cancel": "Thank you. We are cancelling these items now:",
        "l_done_refund_amount": "Your refund: {amount}. It goes back to the way you paid; your bank may take a few "
                                "days to show it.",
        "l_done_refund_full": "They are refunded in full to the way you paid; your bank may take a few days to show "
                              "it.",
        "l_done_not_charged": "You were not charged for them, and you will not be.",
        "l_done_email": "You will get an e-mail when it is done.",
        "l_done_wait_title": "Thank you for waiting",
        "l_done_wait": "You keep waiting for these items:",
        "l_done_ships_by": "They ship by {date}.",
        "l_done_ships_unknown": "Ships by: not known yet. We will write to you as soon as we know the date.",
        "l_done_wait_email": "We have sent you a confirmation by e-mail.",
        "l_change_mind": "Changed your mind? You can still cancel them from your order page until they ship.",
        "l_see_order": "See your order", "l_order": "Order {order}",
        "l_item": "item",
        "l_busy_title": "Please try again", "l_busy": "We could not record your answer just now. Please try again.",
    },
    "nl": {
        "title": "Je bestelling {order}",
        "intro": "Deze artikelen uit je bestelling {order} bij {shop} zijn nog niet op voorraad.",
        "expected": "Verzonden uiterlijk", "unknown": "nog niet bekend", "quantity": "Aantal",
        "status_open": "Wacht op voorraad", "status_allocated": "Voor je apart gelegd: wordt binnenkort verzonden",
        "status_fulfilled": "Verzonden", "status_cancelled": "Geannuleerd",
        "status_withdrawn": "Niet meer in nabestelling",
        "status_cancelling": "Annulering aangevraagd",
        "history": "Geschiedenis",
        "h_ordered": "Je hebt het besteld", "h_first_date": "We verwachtten het uiterlijk {date} te verzenden",
        "h_date_moved": "Verzenddatum verschoven naar {date}", "h_date_unknown": "Verzenddatum niet meer bekend",
        "h_told": "We mailden je: {subject}", "h_notice": "We vroegen of je wilt wachten of annuleren",
        "h_chose_wait": "Je koos ervoor te blijven wachten", "h_chose_cancel": "Je vroeg ons te annuleren",
        "h_cancelled": "Geannuleerd", "h_cancel_failed": "Ons team handelt je annulering af",
        "h_allocated": "{quantity} voor je apart gelegd", "h_shipped": "{quantity} verzonden",
        "cancel_one": "Dit artikel annuleren", "cancel_all": "Alle wachtende artikelen annuleren",
        "wait": "Blijven wachten",
        "cancel_refund": "Annuleren, volledig terugbetaald", "cancel_uncharged": "Annuleren, je betaalt niets",
        "allocated_help": "Wil je een artikel annuleren dat bijna wordt verzonden? Mail naar {contact}.",
        "the_shop": "de winkel",
        "refund_note": "Geannuleerde artikelen worden volledig terugbetaald op de manier waarop je betaalde.",
        "uncharged_note": "Je betaling is alleen gereserveerd: geannuleerde artikelen worden niet in rekening "
                          "gebracht.",
        "confirm_title": "Deze artikelen annuleren?",
        "confirm_yes": "Ja, annuleren", "confirm_no": "Nee, terug",
        "emails": "Hoe wil je van ons horen?",
        "f_every_change": "Bij elke nieuwe datum",
        "f_when_ships": "Alleen als het verzonden wordt (en wat de wet vereist)",
        "f_required_only": "Geen e-mails behalve wat de wet vereist",
        "emails_help": "De wet verplicht ons te schrijven als we niet op de beloofde datum kunnen verzenden, en "
                       "een annulering te bevestigen.",
        "save": "Opslaan",
        "done_cancel": "Bedankt. We annuleren de gekozen artikelen; je krijgt een e-mail als dat gebeurd is.",
        "done_already": "We hebben je annulering voor deze artikelen al.",
        "done_none": "Er was niets meer te annuleren: deze artikelen wachten niet meer.",
        "done_wait": "Bedankt voor je geduld. We versturen je artikelen zodra ze klaar zijn en hebben je een "
                     "bevestiging gemaild.",
        "done_emails": "Opgeslagen. We mailen je: {choice}.",
        "nothing": "Niets uit deze bestelling is in nabestelling.",
        "questions": "Vragen? Mail naar",
        "status_link": "Je bestelling in onze winkel", "store_link": "Terug naar {shop}",
        "refused_title": "Deze link kan niet worden gebruikt",
        "expired": "Deze link is verlopen. Gebruik de link in de laatste e-mail over je bestelling.",
        "invalid": "Deze link is niet geldig.", "busy": "Probeer het zo nog eens.",
        "pick_one": "Kies ten minste één wachtend artikel.",
        "bad_choice": "Kies een van de mogelijkheden.",
        "r_title_expired": "Deze link is verlopen", "r_title_used": "Je hebt al geantwoord",
        "r_title_not_waiting": "Deze artikelen wachten niet meer",
        "r_title_replaced": "Een nieuwere e-mail vervangt deze",
        "r_title_invalid": "Deze link werkt niet",
        "r_expired": "Deze link is verlopen op {date}.", "r_expired_undated": "Deze link is verlopen.",
        "r_latest": "Open de link in de laatste e-mail over je bestelling: daar zie je je bestelling zoals die nu is.",
        "r_latest_order": "Open de link in de laatste e-mail over je bestelling {order}: daar zie je je bestelling "
                          "zoals die nu is.",
        "r_used": "We hebben je antwoord op deze e-mail al.",
        "r_used_wait": "We hebben je antwoord al: je wilt op deze artikelen blijven wachten.",
        "r_used_cancel": "We hebben je antwoord al: je hebt gevraagd deze artikelen te annuleren.",
        "r_used_cancelled": "We hebben je antwoord al, en deze artikelen zijn geannuleerd.",
        "r_used_next": "Je hoeft verder niets te doen. Ben je van gedachten veranderd? Schrijf ons dan.",
        "r_not_waiting": "Deze artikelen zijn verzonden of geannuleerd, er valt niets meer te kiezen.",
        "r_replaced": "We hebben je een nieuwere e-mail over deze vertraging gestuurd, met eigen links.",
        "r_invalid": "Deze link is niet compleet of is veranderd, bijvoorbeeld bij het kopiëren uit de e-mail.",
        "r_invalid_next": "Open hem opnieuw vanuit de e-mail, of kopieer het hele adres.",
        "r_contact": "Vragen? Schrijf {shop}:", "r_contact_reply": "Vragen? Beantwoord de e-mail van {shop}.",
        "r_contact_unknown": "Vragen? Beantwoord de e-mail die je van de winkel kreeg.",
        "l_title": "Je bestelling {order} is vertraagd",
        "l_title_cancel": "Deze artikelen annuleren?", "l_title_wait": "Blijven wachten op deze artikelen?",
        "l_late": "Deze artikelen worden niet uiterlijk {promise} verzonden, de datum die we je beloofd hadden:",
        "l_late_undated": "Deze artikelen worden later verzonden dan we je beloofd hadden:",
        "l_ships_by": "Verzonden uiterlijk", "l_deadline": "Kies uiterlijk {date}.",
        "l_silence_cancel": "Horen we dan niets van je, dan annuleren we deze artikelen en krijg je je geld volledig "
                            "terug.",
        "l_silence_cancel_uncharged": "Horen we dan niets van je, dan annuleren we deze artikelen en betaal je er "
                                      "niets voor.",
        "l_silence_ask": "Horen we dan niets van je, dan versturen we ze niet zonder jouw antwoord; ons team neemt "
                         "contact met je op.",
        "l_no_action": "Je hoeft niets te doen als je graag wilt wachten.",
        "l_wait_note": "We versturen ze zodra ze klaar zijn.",
        "l_refund_amount": "Je krijgt {amount} terug, op de manier waarop je betaalde.",
        "l_refund_full": "Je krijgt je geld volledig terug, op de manier waarop je betaalde.",
        "l_uncharged": "Je betaling is alleen gereserveerd: je betaalt niets voor deze artikelen.",
        "l_done_cancel_title": "Annulering aangevraagd",
        "l_done_cancel": "Bedankt. We annuleren deze artikelen nu:",
        "l_done_refund_amount": "Je terugbetaling: {amount}. Het geld gaat terug op de manier waarop je betaalde; "
                                "het kan een paar dagen duren voor je bank het laat zien.",
        "l_done_refund_full": "Je krijgt je geld volledig terug op de manier waarop je betaalde; het kan een paar "
                              "dagen duren voor je bank het laat zien.",
        "l_done_not_charged": "Je hebt er niets voor betaald en je betaalt er ook niets voor.",
        "l_done_email": "Je krijgt een e-mail als het gebeurd is.",
        "l_done_wait_title": "Bedankt voor je geduld",
        "l_done_wait": "Je blijft wachten op deze artikelen:",
        "l_done_ships_by": "Ze worden uiterlijk {date} verzonden.",
        "l_done_ships_unknown": "Verzonden uiterlijk: nog niet bekend. We laten het je weten zodra we de datum "
                                "weten.",
        "l_done_wait_email": "We hebben je een bevestiging gemaild.",
        "l_change_mind": "Toch van gedachten veranderd? Tot ze verzonden zijn, kun je ze nog annuleren op je "
                         "bestelpagina.",
        "l_see_order": "Bekijk je bestelling", "l_order": "Bestelling {order}",
        "l_item": "artikel",
        "l_busy_title": "Probeer het nog eens",
        "l_busy": "We konden je antwoord nu niet opslaan. Probeer het nog eens.",
    },
}


def language(order_locale: Any, shop_language: str | None) -> str:
    """The page's language for a customer: the order's, else the shop's, else English."""
    for candidate in (order_locale, shop_language):
        if isinstance(candidate, str) and candidate.strip():
            code = candidate.strip().replace("_", "-").split("-")[0].lower()
            if code in TEXT:
                return code
    return DEFAULT


def words(lang: str) -> dict[str, str]:
    return TEXT.get(lang, TEXT[DEFAULT])


def long_date(value: date | None, lang: str) -> str:
    """'Tuesday 15 December 2026', 'dinsdag 15 december 2026'; "" for no date."""
    if value is None:
        return ""
    return format_date(value, "EEEE d MMMM y", locale=lang if lang in TEXT else DEFAULT)
