"""Forms of the integrations pages (Flask-WTF, so each carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length

from models.outbox import EVENT_TYPES


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class WebhookForm(FlaskForm):  # type: ignore[misc]
    url = StringField("URL", validators=[DataRequired(), Length(max=2048)])
    description = StringField("Description", validators=[Length(max=255)])
    event_types = MultiCheckboxField("Events", choices=[(e, e) for e in EVENT_TYPES])
    export_profile = SelectField("Export profile", coerce=int, default=0)
    enabled = BooleanField("Enabled", default=True)


class ProfileForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Name", validators=[DataRequired(), Length(max=128)])
    description = StringField("Description", validators=[Length(max=1000)])
    mapping = TextAreaField("Mapping (JSON)", validators=[DataRequired(), Length(max=100_000)])
