"""Messages in the demo: Dr Garnier wrote to Gérard about his blood test, he
answered, and her last message waits unread; the pharmacist told him an order
was ready. Through the messaging services, once."""

from __future__ import annotations

from consent.policy import own_record_access, professional_record_access
from messaging import services
from messaging.models import Thread
from records.management.demo.base import Seeder
from records.models import Patient


def seed_messages(s: Seeder, gerard: Patient) -> None:
    if Thread.objects.filter(patient=gerard).exists():
        return
    gp = professional_record_access(s.users["gp"], gerard.pk)
    thread = services.thread_start(
        access=gp,
        subject="Résultats de votre bilan sanguin",
        body=(
            "Bonjour Monsieur Fontaine,\n\nvotre HbA1c est à 7,1 %, un peu au-dessus de "
            "l’objectif de 7 %. Rien d’urgent : nous en reparlerons à la prochaine "
            "consultation. Continuez la metformine comme prévu.\n\nDr Garnier"
        ),
    )
    patient = own_record_access(s.users["gerard"])
    services.message_post(
        access=patient,
        thread=thread,
        body="Merci docteur. Dois-je refaire une prise de sang avant le rendez-vous ?",
    )
    services.message_post(
        access=gp,
        thread=thread,
        body="Oui, une nouvelle HbA1c dans trois mois ; je vous remettrai l’ordonnance en consultation.",
    )
    pharmacist = professional_record_access(s.users["pharmacist"], gerard.pk)
    services.thread_start(
        access=pharmacist,
        subject="Votre commande est prête",
        body="Bonjour, vos médicaments sont prêts à la pharmacie. Bonne journée.",
    )
