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
        "expected": "Expected in stock", "unknown": "not known yet", "quantity": "Quantity",
        "status_open": "Waiting", "status_allocated": "Set aside for you: it ships next",
        "status_fulfilled": "Shipped", "status_cancelled": "Cancelled", "status_withdrawn": "No longer on back order",
        "status_cancelling": "Cancellation requested",
        "history": "History",
        "h_ordered": "You ordered it", "h_first_date": "We expected it in stock on {date}",
        "h_date_moved": "Expected date moved to {date}", "h_date_unknown": "Expected date no longer known",
        "h_told": "We e-mailed you: {subject}", "h_notice": "We asked whether you want to wait or cancel",
        "h_chose_wait": "You chose to keep waiting", "h_chose_cancel": "You asked us to cancel",
        "h_cancelled": "Cancelled", "h_cancel_failed": "Our team is handling your cancellation",
        "h_allocated": "{quantity} set aside for you", "h_shipped": "{quantity} shipped",
        "cancel_one": "Cancel this item", "cancel_all": "Cancel all waiting items", "wait": "I will keep waiting",
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
        "done_wait": "Thank you for waiting. We will ship your items as soon as they arrive.",
        "done_emails": "Saved. We will write to you: {choice}.",
        "nothing": "Nothing of this order is on back order.",
        "questions": "Questions? Write to",
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
    },
    "nl": {
        "title": "Je bestelling {order}",
        "intro": "Deze artikelen uit je bestelling {order} bij {shop} zijn nog niet op voorraad.",
        "expected": "Verwacht op voorraad", "unknown": "nog niet bekend", "quantity": "Aantal",
        "status_open": "Wacht op voorraad", "status_allocated": "Voor je apart gelegd: wordt binnenkort verzonden",
        "status_fulfilled": "Verzonden", "status_cancelled": "Geannuleerd",
        "status_withdrawn": "Niet meer in nabestelling",
        "status_cancelling": "Annulering aangevraagd",
        "history": "Geschiedenis",
        "h_ordered": "Je hebt het besteld", "h_first_date": "We verwachtten het op voorraad op {date}",
        "h_date_moved": "Verwachte datum verschoven naar {date}", "h_date_unknown": "Verwachte datum niet meer bekend",
        "h_told": "We mailden u: {subject}", "h_notice": "We vroegen of je wilt wachten of annuleren",
        "h_chose_wait": "Je koos ervoor te blijven wachten", "h_chose_cancel": "Je vroeg ons te annuleren",
        "h_cancelled": "Geannuleerd", "h_cancel_failed": "Ons team handelt je annulering af",
        "h_allocated": "{quantity} voor je apart gelegd", "h_shipped": "{quantity} verzonden",
        "cancel_one": "Dit artikel annuleren", "cancel_all": "Alle wachtende artikelen annuleren",
        "wait": "Ik wacht graag",
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
        "done_wait": "Bedankt voor je geduld. We versturen je artikelen zodra ze binnen zijn.",
        "done_emails": "Opgeslagen. We mailen je: {choice}.",
        "nothing": "Niets uit deze bestelling is in nabestelling.",
        "questions": "Vragen? Mail naar",
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
