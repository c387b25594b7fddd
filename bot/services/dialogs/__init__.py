"""The step-by-step dialogs: /announce, /poll and editing a sent announcement, one file each;
`WizardService` routes each step to the dialog whose state is open."""

from bot.services.dialogs.common import DraftInput, Step
from bot.services.dialogs.wizard import STATES, WizardService

__all__ = ["STATES", "DraftInput", "Step", "WizardService"]
