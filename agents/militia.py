"""Militia unit: holds, patrols, mans a checkpoint, or reinforces an incident within a radius.

hold ──(checkpoint calls)──► reinforce ──(arrives)──► checkpoint ──(incident over)──► return ──► hold/patrol
"""

from __future__ import annotations

from sim.agents.standing import Posture, StandingUnit


class Militia(StandingUnit):
    kind = "militia"

    def __init__(self, model, faction, strength, rc, label, posture="hold", fortification: float = 1.0):
        super().__init__(model, faction, strength, rc, label, posture, fortification)
        self.incident = None

    def answer_call(self, incident) -> bool:
        """Go to `incident` (a checkpoint standoff) if not already busy; True when on the way."""
        if self.posture in (Posture.REINFORCE, Posture.CHECKPOINT) or self.incident is not None:
            return False
        if self.rc == incident.cell:
            self.incident = incident
            self.posture = Posture.CHECKPOINT
            return True
        if self.travel_to(incident.cell, Posture.REINFORCE):
            self.incident = incident
            return True
        return False

    def arrived(self) -> None:
        if self.posture == Posture.REINFORCE:
            self.posture = Posture.CHECKPOINT
        else:
            super().arrived()

    def stand_down(self) -> None:
        """The incident is over: go back to the home area and its posture."""
        self.incident = None
        if self.home_posture == Posture.CHECKPOINT:
            self.posture = Posture.CHECKPOINT
            return
        self.go_home()
